import type { ErrorArea, ErrorDefinition } from "./types.js";
import { listErrors } from "./ward-error.js";

/** Section titles of docs/troubleshooting.md, in the order the sections appear. */
const AREA_TITLES: Record<ErrorArea, string> = {
  authorize: "Authorization requests",
  token: "Token endpoint",
  client: "Clients: authentication and registration",
  refresh: "Refresh tokens",
  login: "Sign-in and two-factor authentication",
  consent: "Consent",
  session: "Sessions, cookies and CSRF",
  logout: "Sign-out",
  dpop: "DPoP",
  resource: "Resources, scopes and access tokens",
  discovery: "Discovery",
  admin: "Admin API",
  config: "Configuration and boot",
  storage: "Storage",
  keys: "Signing keys",
  http: "HTTP",
  agent: "Agent CLI and daemon",
};

const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/gi;

/**
 * The description template with each `{param}` shown as `<param>`, for terminals.
 *
 * @example
 * templateText(findError("redirect_uri_mismatch")!) // "redirect_uri <received> is not registered …"
 */
export function templateText(definition: ErrorDefinition): string {
  return definition.description.replace(PLACEHOLDER, "<$1>");
}

/**
 * Makes catalog prose safe in Markdown without losing what it says: outside `code spans`, each
 * `{param}` and each `<placeholder>` becomes a code span (a bare `<param>` would be swallowed as an
 * HTML tag by Markdown renderers) and `*` is escaped; inside code spans `{param}` becomes `<param>`.
 */
function markdownProse(text: string): string {
  const parts = text.split("`");
  // An unpaired backtick is literal text: keep the last part outside any code span.
  const closed = parts.length % 2 === 1;
  return parts
    .map((part, index) => {
      const inCode = index % 2 === 1 && (closed || index < parts.length - 1);
      if (inCode) return `\`${part.replace(PLACEHOLDER, "<$1>")}\``;
      const text = index % 2 === 1 ? `\\\`${part}` : part;
      return text.replace(/\{([a-z_][a-z0-9_]*)\}|<([^<>\n]+)>|<|\*/gi, (match, param?: string, placeholder?: string) => {
        if (param !== undefined) return `\`<${param}>\``;
        if (placeholder !== undefined) return `\`<${placeholder}>\``;
        return match === "<" ? "&lt;" : "\\*";
      });
    })
    .join("");
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}

function section(d: ErrorDefinition): string[] {
  const wire = `**${markdownProse(d.title)}** · HTTP ${d.status} · \`error=${d.oauthError}\``;
  const redirect = d.allowRedirect ? " · sent back to the client's redirect_uri once client and redirect_uri are validated" : "";
  return [
    "",
    `### ${d.code}`,
    "",
    `${wire}${redirect}`,
    "",
    `> ${markdownProse(d.description)}`,
    "",
    `**Cause.** ${markdownProse(d.cause)}`,
    "",
    `**Fix.** ${markdownProse(d.fix)}`,
    "",
    `Offline: \`ward explain ${d.code}\``,
  ];
}

/**
 * docs/troubleshooting.md, generated from the catalog by `npm run docs`: a table of contents by
 * area, then one section per code whose heading anchor is the code itself
 * (`docs/troubleshooting.md#redirect_uri_mismatch`). Deterministic: same catalog, same bytes.
 *
 * @example
 * writeFileSync("docs/troubleshooting.md", troubleshootingMarkdown());
 */
export function troubleshootingMarkdown(): string {
  const byArea = new Map<ErrorArea, ErrorDefinition[]>();
  for (const definition of listErrors()) byArea.set(definition.area, [...(byArea.get(definition.area) ?? []), definition]);
  const areas = (Object.keys(AREA_TITLES) as ErrorArea[]).filter((area) => byArea.has(area));
  const lines = [
    "# Troubleshooting",
    "",
    "<!-- Generated from the errors catalog (packages/core/src/errors/catalog/) by `npm run docs`. Do not edit by hand: edit the catalog and regenerate; a test fails when this file is stale. -->",
    "",
    "Every error Ward returns carries a stable `code`: in the JSON body next to the OAuth `error`, and on",
    "HTML error pages. Find it below (each code is its own anchor, e.g. `#redirect_uri_mismatch`), or run",
    "`ward explain <code>` offline. In descriptions, `<placeholders>` stand for the values of the failing",
    "request, such as the redirect_uri received and the closest one registered.",
    "",
    "## Contents",
    "",
  ];
  for (const area of areas) {
    lines.push(`- [${AREA_TITLES[area]}](#${anchor(AREA_TITLES[area])})`);
    for (const d of byArea.get(area) ?? []) lines.push(`  - [\`${d.code}\`](#${d.code}): ${markdownProse(d.title)}`);
  }
  for (const area of areas) {
    lines.push("", `## ${AREA_TITLES[area]}`);
    for (const d of byArea.get(area) ?? []) lines.push(...section(d));
  }
  return `${lines.join("\n")}\n`;
}
