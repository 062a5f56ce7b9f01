import type { MiddlewareHandler } from "hono";

/**
 * Headers on every response: no framing (clickjacking), no MIME sniffing, no referrer leaking
 * codes or state, and a CSP that only allows this origin's own resources. Pages whose form answer
 * redirects to a client set their own CSP first (form-action must name the client's origin).
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "no-referrer");
    if (!c.res.headers.has("Content-Security-Policy")) c.header("Content-Security-Policy", contentSecurityPolicy([]));
    c.header("Cross-Origin-Opener-Policy", "same-origin");
  };
}

/** The CSP of Ward's pages; `formTargets` are the extra origins a form submission may redirect to. */
export function contentSecurityPolicy(formTargets: readonly string[]): string {
  const formAction = ["'self'", ...formTargets].join(" ");
  return `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}
