import type { Context, MiddlewareHandler } from "hono";
import type { WardEnv } from "./context.js";
import { SECURITY_HEADERS } from "./security-headers.js";

/**
 * Declares a header of this request's response (names are case-insensitive; a later value for the
 * same name replaces the earlier one). Ward code sets response headers only through this, never
 * with Hono's `c.header`: see {@link responseHeaders}.
 */
export function setHeader(c: Context<WardEnv>, name: string, value: string): void {
  c.get("responseHeaders")[name.toLowerCase()] = value;
}

/**
 * The outermost middleware of every Ward app: gives each request a plain record of response
 * headers, starting with the security headers every response carries (security-headers.ts), which
 * middleware (request id, CORS) and handlers add to with {@link setHeader}; after the handler (or
 * the error handler) it sets each of them that the response does not already carry.
 *
 * Why a record of our own: Hono's `c.header` keeps headers in a web `Headers` object, validated on
 * every `set` and converted back to a plain object by @hono/node-server on the way out: for the
 * ten or more headers every response carries, ~2.5 % of a client_credentials request's event-loop
 * time (bench/README.md part 7). A JSON response built by {@link jsonResponse} takes the record as
 * it is, and @hono/node-server writes a plain record straight to the socket.
 */
export function responseHeaders(): MiddlewareHandler<WardEnv> {
  return async (c, next) => {
    const record: Record<string, string> = { ...SECURITY_HEADERS };
    c.set("responseHeaders", record);
    await next();
    if (c.get("responseFromRecord") === c.res) return;
    const headers = c.res.headers;
    for (const name in record) if (!headers.has(name)) headers.set(name, record[name] as string);
  };
}

/** A JSON response carrying the request's header record plus `headers`, without a web `Headers` object. */
export function jsonResponse(c: Context<WardEnv>, body: unknown, status = 200, headers?: Record<string, string>): Response {
  const record = c.get("responseHeaders");
  record["content-type"] = "application/json";
  if (headers) for (const name in headers) record[name.toLowerCase()] = headers[name] as string;
  const response = new Response(JSON.stringify(body), { status, headers: record });
  c.set("responseFromRecord", response);
  return response;
}
