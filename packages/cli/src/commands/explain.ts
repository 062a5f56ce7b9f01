import { closestMatches, type ErrorDefinition, findError, listErrors, templateText } from "@ward/core";
import type { Command } from "commander";
import { EXIT, err, out, printJson } from "../output.js";

/** `REDIRECT-URI-MISMATCH`, ` redirect uri mismatch ` and `redirect_uri_mismatch` name the same code. */
export function normalizeCode(input: string): string {
  return input
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
}

/** The catalog entry for a code as typed by a user (see {@link normalizeCode}), or undefined. */
export function lookupCode(input: string): ErrorDefinition | undefined {
  return findError(input) ?? findError(normalizeCode(input));
}

/** The text `ward explain <code>` prints, or undefined for an unknown code. */
export function explainText(code: string): string | undefined {
  const d = lookupCode(code);
  if (!d) return undefined;
  return [
    `${d.code}: ${d.title}`,
    `HTTP ${d.status} · error=${d.oauthError}${d.allowRedirect ? " · sent back to the client's redirect_uri once client and redirect_uri are validated" : ""}`,
    "",
    templateText(d),
    "",
    `Cause: ${d.cause}`,
    "",
    `Fix: ${d.fix}`,
    "",
    `More: docs/troubleshooting.md#${d.code} (or /errors/${d.code} on any Ward server)`,
  ].join("\n");
}

/** Up to three codes close to an unknown input: by edit distance first, then codes containing it. */
export function suggestCodes(input: string, limit = 3): string[] {
  const codes = listErrors().map((d) => d.code);
  const wanted = normalizeCode(input);
  const near = closestMatches(wanted, codes, limit);
  const containing =
    wanted.length >= 3 ? codes.filter((c) => c.includes(wanted)).sort((a, b) => a.length - b.length || a.localeCompare(b)) : [];
  return [...new Set([...near, ...containing])].slice(0, limit);
}

/** What `ward explain` prints on stderr for an unknown code: the code received and the nearest codes. */
export function unknownCodeText(code: string): string {
  const suggestions = suggestCodes(code);
  const hint = suggestions.length ? ` Did you mean ${suggestions.join(", ")}?` : "";
  const lines = [`✗ unknown error code ${JSON.stringify(code)}.${hint} \`ward explain --list\` lists every code.`];
  const wire = normalizeCode(code);
  const sameWireError = listErrors().filter((d) => d.oauthError === wire);
  if (sameWireError.length) {
    const shown = sameWireError.slice(0, 8).map((d) => d.code);
    const more = sameWireError.length > shown.length ? `, … (${sameWireError.length} in all)` : "";
    lines.push(`  ${wire} is an OAuth error value, not a Ward code; Ward codes sent with error=${wire}: ${shown.join(", ")}${more}.`);
  }
  return lines.join("\n");
}

/** `ward explain --list`: one line per code with its HTTP status and title, in catalog order. */
export function listText(): string {
  const all = listErrors();
  const width = Math.max(...all.map((d) => d.code.length));
  return all.map((d) => `${d.code.padEnd(width)}  ${d.status}  ${d.title}`).join("\n");
}

/** `ward explain --list --json`: the same list as an array. */
export function listJson(): { code: string; area: string; status: number; error: string; title: string }[] {
  return listErrors().map((d) => ({ code: d.code, area: d.area, status: d.status, error: d.oauthError, title: d.title }));
}

/**
 * Adds `ward explain <code>` (cause and fix of an error code, offline) and `ward explain --list`.
 * Unknown codes exit 2 with suggestions on stderr.
 */
export function registerExplain(program: Command): void {
  program
    .command("explain")
    .description("Print the cause and the fix of a Ward error code (offline)")
    .argument("[code]", "the error code, e.g. redirect_uri_mismatch")
    .option("--list", "list every error code with its HTTP status and title")
    .option("--json", "print the catalog entry (or the list) as JSON")
    .action((code: string | undefined, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals() as { json?: boolean; list?: boolean };
      if (options.list || code === undefined) {
        if (options.json) printJson(listJson());
        else out(listText());
        return;
      }
      const definition = lookupCode(code);
      if (!definition) {
        err(unknownCodeText(code));
        process.exitCode = EXIT.usage;
        return;
      }
      if (options.json) printJson(definition);
      else out(explainText(definition.code) ?? "");
    });
}
