import type { Hono, MiddlewareHandler } from "hono";
import type { WardEnv } from "./context.js";

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
 * Written out rather than hono/cors: that middleware touches `c.res` before the handler runs, which
 * makes Hono rebuild the handler's response as a web `Response` (a measured share of every token request).
 */
export function allowBrowserClients(app: Hono<WardEnv>, paths: readonly string[]): void {
  const middleware: MiddlewareHandler<WardEnv> = async (c, next) => {
    if (c.req.method === "OPTIONS") return c.body(null, 204, PREFLIGHT);
    c.header("Access-Control-Allow-Origin", "*");
    c.header("Access-Control-Expose-Headers", EXPOSED);
    await next();
    if (!c.res.headers.has("Access-Control-Allow-Origin")) {
      c.header("Access-Control-Allow-Origin", "*");
      c.header("Access-Control-Expose-Headers", EXPOSED);
    }
  };
  for (const path of paths) app.use(path, middleware);
}
