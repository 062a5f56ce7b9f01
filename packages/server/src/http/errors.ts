import { type ErrorCode, type ErrorParams, toHtmlPage, toOAuthJson, WardError } from "@ward/core";
import type { Context, ErrorHandler, Hono, NotFoundHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { WardEnv } from "./context.js";
import { jsonResponse, setHeader } from "./response-headers.js";

/** Renders a WardError as OAuth JSON, with `error_uri` pointing at this server's explanation page. */
export function jsonError(
  c: Context<WardEnv>,
  error: WardError,
  errorsBaseUrl: string,
  headers: Record<string, string> = {},
  status = error.status as ContentfulStatusCode,
): Response {
  setHeader(c, "Cache-Control", "no-store");
  return jsonResponse(c, toOAuthJson(error, errorsBaseUrl), status, headers);
}

/** Renders a WardError as a full HTML page (for browsers that cannot be redirected safely). */
export function htmlError(c: Context<WardEnv>, error: WardError, errorsBaseUrl: string): Response {
  setHeader(c, "Cache-Control", "no-store");
  return c.html(toHtmlPage(error, { errorsBaseUrl, requestId: c.get("requestId") }), error.status as ContentfulStatusCode);
}

/** Throws a catalog error; for checks written as one-liners. */
export function fail(code: ErrorCode, params: ErrorParams = {}, details?: unknown): never {
  throw new WardError(code, params, { details });
}

/**
 * The last line of defence: WardErrors render as themselves; anything else is logged with its
 * stack and answered with `internal_error` carrying only the request id.
 */
export function errorHandler(errorsBaseUrl: string): ErrorHandler<WardEnv> {
  return (err, c) => {
    if (err instanceof WardError) {
      if (err.status >= 500) c.get("log")?.error({ code: err.code, err }, err.message);
      return jsonError(c, err, errorsBaseUrl);
    }
    const requestId = c.get("requestId") ?? "unknown";
    c.get("log")?.error({ err }, "unhandled error");
    return jsonError(c, new WardError("internal_error", { request_id: requestId }), errorsBaseUrl);
  };
}

export function notFoundHandler(errorsBaseUrl: string, metadataUrl: string): NotFoundHandler<WardEnv> {
  return (c) =>
    jsonError(c, new WardError("endpoint_not_found", { method: c.req.method, path: c.req.path, metadata_url: metadataUrl }), errorsBaseUrl);
}

/** Answers every other method on `path` with 405 `method_not_allowed` and an Allow header (register after the real routes). */
export function allowOnly(app: Hono<WardEnv>, path: string, allowed: readonly string[]): void {
  app.all(path, (c) => {
    setHeader(c, "Allow", allowed.join(", "));
    throw new WardError("method_not_allowed", { path, method: c.req.method, allowed: allowed.join(", ") });
  });
}
