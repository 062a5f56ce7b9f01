import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@ward\/core$/, replacement: src("core") },
      { find: /^@ward\/server$/, replacement: src("server") },
      { find: /^@ward\/sdk$/, replacement: src("sdk") },
      {
        find: /^@ward\/sdk\/(hono|express|mcp)$/,
        replacement: fileURLToPath(new URL("./packages/sdk/src/adapters/$1.ts", import.meta.url)),
      },
    ],
  },
  test: {
    reporters: ["default", "./scripts/summary-reporter.ts"],
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
