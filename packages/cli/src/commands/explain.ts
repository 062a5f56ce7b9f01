import { closestMatches, type ErrorDefinition, findError, listErrors, templateText } from "@ward/core";
import type { Command } from "commander";
import { EXIT, err, out, printJson } from "../output.js";

/** The human text of `ward explain <code>`. */
export function explainText(definition: ErrorDefinition): string {
  return [
    `${definition.code}: ${definition.title}`,
    `HTTP ${definition.status} · error=${definition.oauthError}`,
    "",
    templateText(definition),
    "",
    `Cause: ${definition.cause}`,
    "",
    `Fix: ${definition.fix}`,
    "",
    `More: docs/troubleshooting.md#${definition.code} (or /errors/${definition.code} on any Ward server)`,
  ].join("\n");
}

/** The stderr line for an unknown code, with up to three nearest codes. */
export function unknownCodeText(code: string): string {
  const suggestions = closestMatches(
    code,
    listErrors().map((d) => d.code),
  );
  const hint = suggestions.length ? ` Did you mean ${suggestions.join(", ")}?` : "";
  return `✗ unknown error code ${JSON.stringify(code)}.${hint} \`ward explain --list\` lists every code.`;
}

export function registerExplain(program: Command): void {
  program
    .command("explain")
    .description("Print the cause and the fix of a Ward error code (offline)")
    .argument("[code]", "the error code, e.g. redirect_uri_mismatch")
    .option("--list", "list every error code")
    .action((code: string | undefined, options: { list?: boolean }, command: Command) => {
      const json = (command.optsWithGlobals() as { json?: boolean }).json === true;
      if (options.list || !code) {
        const all = listErrors();
        if (json) printJson(all.map((d) => ({ code: d.code, status: d.status, error: d.oauthError, title: d.title })));
        else for (const d of all) out(`${d.code.padEnd(52)} ${String(d.status).padEnd(4)} ${d.title}`);
        return;
      }
      const definition = findError(code);
      if (!definition) {
        err(unknownCodeText(code));
        process.exitCode = EXIT.usage;
        return;
      }
      if (json) printJson(definition);
      else out(explainText(definition));
    });
}
