import { type ErrorCode, escapeHtml, findError, formatDescription } from "@ward/core";

const CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

export const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": CSP,
  "x-frame-options": "DENY",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
};

export function page(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

export function successPage(): string {
  return page("Login complete", ["Ward received the authorization. You can close this tab and return to the terminal."]);
}

/** A page for a catalog error: what happened and the fix. */
export function errorPage(code: ErrorCode, params: Record<string, string>): string {
  const definition = findError(code);
  if (!definition) throw new Error(`${code} is not in the catalog`);
  return page(definition.title, [formatDescription(definition, params), definition.cause, `Fix: ${definition.fix}`, `Error code: ${code}`]);
}

export function notFoundPage(): string {
  return page("Not found", ["This is Ward's local agent daemon. The OAuth callback is /auth/callback/oauth."]);
}
