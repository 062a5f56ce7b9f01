import { Command, CommanderError } from "commander";
import { registerAgent } from "./agent/commands/index.js";
import { registerAdmin } from "./commands/admin.js";
import { registerConfig } from "./commands/config.js";
import { registerDev } from "./commands/dev.js";
import { registerDocs } from "./commands/docs.js";
import { registerExplain } from "./commands/explain.js";
import { registerServer } from "./commands/server.js";
import { EXIT } from "./output.js";

export function buildProgram(): Command {
  const program = new Command("ward")
    .description("Ward: OAuth 2.1 / OpenID Connect authorization for AI agents and MCP servers")
    .version("0.1.0")
    .option("--json", "machine-readable JSON output")
    .option("-q, --quiet", "print only what is asked for (errors still go to stderr)")
    .option("--no-color", "no ANSI colours")
    .showHelpAfterError()
    .exitOverride();
  registerDev(program);
  registerServer(program);
  registerAdmin(program);
  registerExplain(program);
  registerConfig(program);
  registerDocs(program);
  registerAgent(program);
  program.addHelpText(
    "after",
    "\nExit codes: 0 ok · 1 failure (unsafe config, could not start) · 2 usage (or no admin key) · 3 the server refused the request · 4 the server is unreachable · agent: 5 login timed out · 6 not logged in",
  );
  return program;
}

/** Runs the CLI; commander usage errors exit 2. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw error;
  }
}
