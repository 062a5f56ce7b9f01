import type { Hono } from "hono";
import { cors } from "hono/cors";
import type { WardEnv } from "./context.js";

/**
 * CORS for the endpoints browser-based clients call with fetch (an MCP inspector, a single-page app):
 * any origin, no cookies (these endpoints never read them, so `*` exposes nothing a
 * server-side caller could not get), the headers OAuth needs, and the challenges readable.
 */
export function allowBrowserClients(app: Hono<WardEnv>, paths: readonly string[]): void {
  const middleware = cors({
    origin: "*",
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "DPoP"],
    exposeHeaders: ["WWW-Authenticate", "DPoP-Nonce", "X-Request-Id"],
    maxAge: 600,
  });
  for (const path of paths) app.use(path, middleware);
}
