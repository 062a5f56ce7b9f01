import type { Hono } from "hono";
import type { WardEnv } from "../http/context.js";
import { setHeader } from "../http/response-headers.js";
import type { KeyStore } from "../keys/keystore.js";

export interface ReadinessDeps {
  ping: () => Promise<void>;
  keys: KeyStore;
  isShuttingDown: () => boolean;
}

/** `/health`: the process is up. `/ready`: it can serve (database reachable, signing key loaded, not draining). */
export function mountHealth(app: Hono<WardEnv>, deps: ReadinessDeps): void {
  app.get("/health", (c) => {
    setHeader(c, "Cache-Control", "no-store");
    return c.json({ status: "ok" });
  });
  app.get("/ready", async (c) => {
    setHeader(c, "Cache-Control", "no-store");
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      await deps.ping();
      checks.database = { ok: true };
    } catch (error) {
      checks.database = { ok: false, detail: `unreachable; see the server log for request ${c.get("requestId")}` };
      c.get("log").warn({ err: error }, "readiness: database unreachable");
    }
    try {
      checks.signing_key = { ok: true, detail: deps.keys.signingKey().kid };
    } catch (error) {
      checks.signing_key = { ok: false, detail: "no active signing key loaded" };
      c.get("log").warn({ err: error }, "readiness: no signing key");
    }
    checks.accepting = deps.isShuttingDown() ? { ok: false, detail: "shutting down" } : { ok: true };
    const ready = Object.values(checks).every((check) => check.ok);
    return c.json({ status: ready ? "ready" : "unavailable", checks }, ready ? 200 : 503);
  });
}
