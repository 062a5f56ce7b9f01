import { escapeHtml } from "@ward/core";
import type { BridgeRequest } from "./bridge.js";
import { page } from "./pages.js";

/** Headers of a bridge form: like every daemon page, plus one nonce'd script for the copy button. */
export function bridgeHeaders(nonce: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'`,
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
  };
}

const field = (name: string, label: string, type: "text" | "password", required: boolean) =>
  `<p><label for="${name}">${escapeHtml(label)}</label><br><input id="${name}" name="${name}" type="${type}" autocomplete="off" spellcheck="false" size="60"${required ? " required" : ""}></p>`;

/** The one-time form: where to create the app or key, the exact redirect URI with a copy button, the fields. */
export function bridgeForm(request: BridgeRequest, action: string, csrf: string, nonce: string): string {
  const setup = request.setup_url
    ? `<p>Create it at <a href="${escapeHtml(request.setup_url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(request.setup_url)}</a>.</p>`
    : "";
  const redirect = request.redirect_uri
    ? `<p>Register exactly this redirect URI (callback URL) in the app:</p>
<p><code id="redirect-uri">${escapeHtml(request.redirect_uri)}</code> <button type="button" id="copy">Copy</button></p>
<script nonce="${nonce}">document.getElementById("copy").addEventListener("click",()=>navigator.clipboard.writeText(document.getElementById("redirect-uri").textContent).then(()=>{document.getElementById("copy").textContent="Copied"}))</script>`
    : "";
  const fields =
    request.kind === "client"
      ? field("client_id", "Client ID", "text", true) +
        field("client_secret", "Client secret (leave empty for a public app)", "password", false)
      : field("api_key", "API key", "password", true);
  const what = request.kind === "client" ? "the OAuth app (client) you created" : "your API key";
  const title = `Connect ${request.provider} to Ward`;
  return page(title, [
    `Paste ${what} for ${request.provider}. It goes only to Ward's daemon on this machine, which stores it encrypted.`,
  ]).replace(
    "</body>",
    `${setup}${redirect}
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
${fields}
<p><button type="submit">Save</button></p>
</form>
<p>This page works once and expires when the terminal stops waiting.</p>
</body>`,
  );
}

export function bridgeSavedPage(provider: string): string {
  return page("Saved", [`Ward received the values for ${provider}. You can close this tab and return to the terminal.`]);
}
