import type { Hono, MiddlewareHandler } from "hono";
import type { WardEnv } from "./context.js";
import { setHeader } from "./response-headers.js";

const EXPOSED = "WWW-Authenticate,DPoP-Nonce,X-Request-Id";
const PREFLIGHT: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": EXPOSED,
  "Access-Control-Max-Age": "600",
  "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
  "Access-Control-Allow-Headers": "Authorization,Content-Type,DPoP",
  Vary: "Access-Control-Request-Headers",
};

/**
 * CORS for the endpoints browser-based clients call with fetch (an MCP inspector, a single-page app):
 * any origin, no cookies (these endpoints never read them, so `*` exposes nothing a
 * server-side caller could not get), the headers OAuth needs, and the challenges readable.
 *
 * Written out rather than hono/cors: that middleware keeps its headers in Hono's web `Headers`
 * (see response-headers.ts for why Ward does not).
 */
export function allowBrowserClients(app: Hono<WardEnv>, paths: readonly string[]): void {
  const middleware: MiddlewareHandler<WardEnv> = async (c, next) => {
    if (c.req.method === "OPTIONS") return c.body(null, 204, PREFLIGHT);
    setHeader(c, "Access-Control-Allow-Origin", "*");
    setHeader(c, "Access-Control-Expose-Headers", EXPOSED);
    await next();
  };
  for (const path of paths) app.use(path, middleware);
}
