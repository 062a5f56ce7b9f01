import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { troubleshootingMarkdown } from "@ward/core";
import { configurationMarkdown } from "@ward/server";
import type { Command } from "commander";
import { EXIT, err, out } from "../output.js";

/** The generated documentation files, relative to the repository root. */
export function generatedDocs(): Record<string, string> {
  return {
    "docs/troubleshooting.md": troubleshootingMarkdown(),
    "docs/configuration.md": configurationMarkdown(),
  };
}

export function registerDocs(program: Command): void {
  program
    .command("docs", { hidden: true })
    .description("Regenerate docs/troubleshooting.md and docs/configuration.md from the catalog and the config spec")
    .argument("[action]", "generate (default) or check", "generate")
    .option("--root <dir>", "repository root", process.cwd())
    .action((action: string, options: { root: string }) => {
      let stale = 0;
      for (const [file, content] of Object.entries(generatedDocs())) {
        const path = join(options.root, file);
        let current = "";
        try {
          current = readFileSync(path, "utf8");
        } catch {}
        if (current === content) continue;
        if (action === "check") {
          err(`✗ ${file} is stale: run \`npm run docs\``);
          stale++;
        } else {
          writeFileSync(path, content);
          out(`wrote ${file}`);
        }
      }
      process.exitCode = stale ? EXIT.failure : EXIT.ok;
    });
}
