import { configSpec, envName, type KeySpec } from "./spec.js";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** docs/configuration.md, generated from the configuration spec (`npm run docs`). */
export function configurationMarkdown(): string {
  const lines = [
    "# Configuration",
    "",
    "<!-- Generated from packages/server/src/config/spec.ts by `npm run docs`. Do not edit by hand: a test fails when this file is stale. -->",
    "",
    "Ward reads a YAML file (`ward server --config ward.yaml`), then `WARD_<SECTION>_<KEY>` environment",
    "variables, then command-line flags; each later source overrides the earlier ones. Unknown keys, in the",
    "file or in `WARD_*` variables of a known section, are errors: a misspelt setting never falls back to its",
    "default silently. `ward config check [--config ward.yaml]` prints the effective configuration with secrets",
    "redacted and every problem found.",
    "",
    "A loopback issuer (`http://127.0.0.1:…`, `http://localhost:…`) is development. Any other issuer is",
    "production, and Ward refuses to start unless it is `https` and `session.secret`, `admin.api_key` and",
    "`secrets.master_key` are set to strong values. Each problem is printed on its own line with the key and",
    "the fix (see [troubleshooting](troubleshooting.md#config_unsafe)).",
    "",
    "```yaml",
    "server:",
    "  issuer: https://auth.example.com",
    "  host: 0.0.0.0",
    "database:",
    "  url: postgres://ward:secret@db:5432/ward",
    "# session.secret, admin.api_key and secrets.master_key from the environment:",
    "#   WARD_SESSION_SECRET, WARD_ADMIN_API_KEY, WARD_SECRETS_MASTER_KEY",
    "```",
    "",
  ];
  for (const [section, keys] of Object.entries(configSpec)) {
    lines.push(`## ${section}`, "", "| key | environment | type | default | description |", "| --- | --- | --- | --- | --- |");
    for (const [key, spec] of Object.entries(keys as Record<string, KeySpec>)) {
      const shown =
        spec.default === undefined ? "(none)" : `\`${Array.isArray(spec.default) ? JSON.stringify(spec.default) : String(spec.default)}\``;
      lines.push(
        `| \`${section}.${key}\` | \`${envName(section, key)}\` | ${spec.env}${spec.secret ? " (secret)" : ""} | ${shown} | ${cell(spec.doc)} |`,
      );
    }
    lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
