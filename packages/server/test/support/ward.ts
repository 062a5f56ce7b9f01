import { randomBytes } from "node:crypto";
import type { ResolveHost } from "@ward/core";
import { pino } from "pino";
import { loadConfig, type WardConfig } from "../../src/config/index.js";
import { freeLoopbackPort } from "../../src/http/free-port.js";
import { createWard, type Ward } from "../../src/ward.js";

type Overrides = Partial<{ [S in keyof WardConfig]: Partial<WardConfig[S]> }>;

export interface TestWard {
  ward: Ward;
  publicUrl: string;
  adminUrl: string;
  adminKey: string;
  /** fetch against the admin API with the admin key. */
  admin(path: string, init?: { method?: string; body?: unknown; key?: string | null; contentType?: string }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A real Ward on ephemeral loopback ports (public and admin), on an in-memory SQLite database
 * unless `database.url` is overridden. The issuer is the real public URL. `now` replaces the clock the
 * server checks expiry against (tests move it forward instead of waiting).
 */
export async function startTestWard(
  overrides: Overrides = {},
  options: { now?: () => number; resolveHost?: ResolveHost } = {},
): Promise<TestWard> {
  const adminKey = randomBytes(32).toString("hex");
  const port = await freeLoopbackPort();
  const loaded = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      server: { issuer: `http://127.0.0.1:${port}`, port, host: "127.0.0.1", ...overrides.server },
      admin: { port: 0, api_key: adminKey, ...overrides.admin },
      secrets: { master_key: randomBytes(32).toString("hex"), ...overrides.secrets },
      database: { url: "sqlite::memory:", ...overrides.database },
      keys: { publish_ahead: 0, ...overrides.keys },
      logging: { level: "silent" },
    },
  });
  if (loaded.problems.length) throw new Error(loaded.problems.map((p) => p.message).join("\n"));
  const ward = await createWard(loaded.config, { logger: pino({ level: "silent" }), now: options.now, resolveHost: options.resolveHost });
  const started = await ward.start();
  const adminUrl = started.adminUrl as string;
  return {
    ward,
    publicUrl: started.publicUrl,
    adminUrl,
    adminKey,
    admin(path, init = {}) {
      const headers: Record<string, string> = {};
      if (init.key !== null) headers.authorization = `Bearer ${init.key ?? adminKey}`;
      if (init.body !== undefined) headers["content-type"] = init.contentType ?? "application/json";
      return fetch(`${adminUrl}${path}`, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        headers,
        body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
      });
    },
    stop: () => ward.stop(),
  };
}

export { freeLoopbackPort as freePort } from "../../src/http/free-port.js";
