import type { MiddlewareHandler } from "hono";

const FIXED_HEADERS = [
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Referrer-Policy", "no-referrer"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
] as const;

/**
 * Headers on every response: no framing (clickjacking), no MIME sniffing, no referrer leaking
 * codes or state, and a CSP that only allows this origin's own resources. Pages whose form answer
 * redirects to a client replace the CSP (form-action must name the client's origin).
 *
 * They are set before the handler runs, so Hono builds the response with them: a header set on a
 * finished response makes Hono copy it into a new web `Response` per header, which was a measured
 * share of every token request. A handler that returns a `Response` of its own gets them after.
 */
export function securityHeaders(): MiddlewareHandler {
  const defaultPolicy = contentSecurityPolicy([]);
  return async (c, next) => {
    for (const [name, value] of FIXED_HEADERS) c.header(name, value);
    c.header("Content-Security-Policy", defaultPolicy);
    await next();
    const headers = c.res.headers;
    if (headers.get("X-Frame-Options") === "DENY") return;
    for (const [name, value] of FIXED_HEADERS) c.header(name, value);
    if (!headers.has("Content-Security-Policy")) c.header("Content-Security-Policy", defaultPolicy);
  };
}

/** The CSP of Ward's pages; `formTargets` are the extra origins a form submission may redirect to. */
export function contentSecurityPolicy(formTargets: readonly string[]): string {
  const formAction = ["'self'", ...formTargets].join(" ");
  return `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}
