/** The CSP of Ward's pages; `formTargets` are the extra origins a form submission may redirect to. */
export function contentSecurityPolicy(formTargets: readonly string[]): string {
  const formAction = ["'self'", ...formTargets].join(" ");
  return `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

/**
 * Headers on every response: no framing (clickjacking), no MIME sniffing, no referrer leaking
 * codes or state, and a CSP that only allows this origin's own resources. Pages whose form answer
 * redirects to a client replace the CSP (form-action must name the client's origin). Every
 * request's header record starts as a copy of these (response-headers.ts).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "content-security-policy": contentSecurityPolicy([]),
});
