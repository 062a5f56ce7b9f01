import type { ErrorArea, ErrorDefinition } from "./types.js";
import { listErrors } from "./ward-error.js";

const AREA_TITLES: Record<ErrorArea, string> = {
  authorize: "Authorization requests",
  token: "Token endpoint",
  client: "Client authentication",
  refresh: "Refresh tokens",
  login: "Sign-in",
  consent: "Consent",
  session: "Sessions and cookies",
  logout: "Sign-out",
  dpop: "DPoP",
  resource: "Resources, scopes and audiences",
  discovery: "Discovery",
  admin: "Admin API",
  config: "Configuration and boot",
  storage: "Storage",
  keys: "Signing keys",
  http: "HTTP",
};

/** The description template with `{param}` shown as `<param>`. */
export function templateText(definition: ErrorDefinition): string {
  return definition.description.replace(/\{([a-z_][a-z0-9_]*)\}/gi, "<$1>");
}

/**
 * docs/troubleshooting.md, generated from the catalog (`npm run docs`): a table of contents by
 * area, then one section per code whose heading anchor is the code itself.
 */
export function troubleshootingMarkdown(): string {
  const byArea = new Map<ErrorArea, ErrorDefinition[]>();
  for (const definition of listErrors()) byArea.set(definition.area, [...(byArea.get(definition.area) ?? []), definition]);
  const areas = (Object.keys(AREA_TITLES) as ErrorArea[]).filter((area) => byArea.has(area));
  const lines = [
    "# Troubleshooting",
    "",
    "<!-- Generated from the errors catalog (packages/core/src/errors/) by `npm run docs`. Do not edit by hand: a test fails when this file is stale. -->",
    "",
    "Every error Ward returns carries a stable `code` (in the JSON body next to the OAuth `error`, and on HTML",
    "error pages). Find it below, or run `ward explain <code>` offline. Descriptions show the values of the",
    "failing request in place of `<placeholders>`.",
    "",
  ];
  for (const area of areas) {
    lines.push(`- **${AREA_TITLES[area]}**: ${(byArea.get(area) ?? []).map((d) => `[\`${d.code}\`](#${d.code})`).join(", ")}`);
  }
  for (const area of areas) {
    lines.push("", `## ${AREA_TITLES[area]}`);
    for (const d of byArea.get(area) ?? []) {
      lines.push(
        "",
        `### ${d.code}`,
        "",
        `**${d.title}** · HTTP ${d.status} · \`error=${d.oauthError}\``,
        "",
        `> ${templateText(d)}`,
        "",
        `**Cause.** ${d.cause}`,
        "",
        `**Fix.** ${d.fix}`,
        "",
        `\`ward explain ${d.code}\``,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
