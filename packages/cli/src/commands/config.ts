import { checkConfigSafety, formatProblemLine, loadConfig, redactConfig } from "@ward/server";
import type { Command } from "commander";
import { stringify } from "yaml";
import { EXIT, out, printJson } from "../output.js";

export function registerConfig(program: Command): void {
  const config = program.command("config").description("Inspect the configuration");
  config
    .command("check")
    .description("Print the effective configuration (secrets redacted) and every problem found")
    .option("-c, --config <file>", "YAML configuration file (default: $WARD_CONFIG)")
    .action((options: { config?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as { json?: boolean };
      const loaded = loadConfig({ file: options.config ?? process.env.WARD_CONFIG });
      const problems = [...loaded.problems, ...checkConfigSafety(loaded.config)];
      if (globals.json) {
        printJson({
          config: redactConfig(loaded.config),
          sources: loaded.sources,
          problems: problems.map((p) => ({ code: p.code, message: p.message, fix: p.definition.fix })),
        });
      } else {
        out("# Effective configuration (secrets redacted)");
        out(stringify(redactConfig(loaded.config)).trimEnd());
        out("");
        if (problems.length === 0) out("No problems found.");
        else {
          out(`${problems.length} problem(s):`);
          for (const problem of problems) out(formatProblemLine(problem));
        }
      }
      process.exitCode = problems.length ? EXIT.failure : EXIT.ok;
    });
}
