import type { WardError } from "./ward-error.js";

/** The OAuth error body Ward returns on every JSON endpoint. */
export interface OAuthErrorBody {
  error: string;
  error_description: string;
  error_uri?: string;
  /** The stable Ward code; `ward explain <code>` prints its cause and fix. */
  code: string;
  [extra: string]: unknown;
}

/** The URL of an error's explanation page: `<base>/<code>` (Ward serves `/errors/<code>`). */
export function errorUri(errorsBaseUrl: string | undefined, code: string): string | undefined {
  if (!errorsBaseUrl) return undefined;
  return `${errorsBaseUrl.replace(/\/+$/, "")}/${encodeURIComponent(code)}`;
}

/**
 * Renders a WardError as the OAuth JSON error body (RFC 6749 §5.2) plus Ward's `code` and any
 * details (e.g. `fields` for an invalid body).
 */
export function toOAuthJson(error: WardError, errorsBaseUrl?: string): OAuthErrorBody {
  const body: OAuthErrorBody = {
    error: error.definition.oauthError,
    error_description: error.message,
    code: error.code,
  };
  const uri = errorUri(errorsBaseUrl, error.code);
  if (uri) body.error_uri = uri;
  if (error.details && typeof error.details === "object" && !Array.isArray(error.details)) {
    for (const [key, value] of Object.entries(error.details)) {
      if (!(key in body)) body[key] = value;
    }
  }
  return body;
}

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);
}

export interface HtmlErrorPageOptions {
  errorsBaseUrl?: string;
  requestId?: string;
  /** Extra safe HTML placed after the fix, e.g. a "start again" link (the caller escapes it). */
  actionsHtml?: string;
}

/**
 * Renders a complete, self-contained HTML error page (no scripts, inline styles only) for errors
 * that must not be redirected to the client: title, what happened, cause, fix and the code.
 */
export function toHtmlPage(error: WardError, options: HtmlErrorPageOptions = {}): string {
  const d = error.definition;
  const uri = errorUri(options.errorsBaseUrl, error.code);
  const more = uri ? `<p><a href="${escapeHtml(uri)}">More about <code>${escapeHtml(error.code)}</code></a></p>` : "";
  const requestId = options.requestId ? `<p class="meta">Request id: <code>${escapeHtml(options.requestId)}</code></p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(d.title)} · Ward</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}
h1{font-size:1.4rem}code{background:#f1f1f4;padding:.1rem .3rem;border-radius:4px;word-break:break-all}
section{border-left:4px solid #c2410c;padding:.2rem 1rem;margin:1rem 0;background:#fff7ed}
.meta{color:#55555f;font-size:.9rem}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(d.title)}</h1>
<section role="alert"><p>${escapeHtml(error.message)}</p></section>
<h2>Why</h2>
<p>${escapeHtml(d.cause)}</p>
<h2>How to fix it</h2>
<p>${escapeHtml(d.fix)}</p>
${options.actionsHtml ?? ""}
${more}
<p class="meta">Error code: <code>${escapeHtml(error.code)}</code> (HTTP ${d.status}, <code>${escapeHtml(d.oauthError)}</code>)</p>
${requestId}
</main>
</body>
</html>
`;
}
