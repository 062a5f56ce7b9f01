import { Command, CommanderError } from "commander";
import { EXIT } from "./output.js";

type Register = (program: Command) => void;

/**
 * The command modules, loaded when the program is built. `ward server` loads only its own: the
 * others (the agent commands above all) cost ~150 ms of CPU to import, a share of the server's
 * time to ready (bench/README.md).
 */
const REGISTRARS: Record<string, () => Promise<Register>> = {
  dev: async () => (await import("./commands/dev.js")).registerDev,
  server: async () => (await import("./commands/server.js")).registerServer,
  admin: async () => (await import("./commands/admin.js")).registerAdmin,
  explain: async () => (await import("./commands/explain.js")).registerExplain,
  config: async () => (await import("./commands/config.js")).registerConfig,
  docs: async () => (await import("./commands/docs.js")).registerDocs,
  agent: async () => (await import("./agent/commands/index.js")).registerAgent,
};

/** Commands that run alone and are built without the others. */
const STANDALONE = new Set(["server"]);

/** The first argument that is not an option: the command asked for. */
function commandOf(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((arg) => !arg.startsWith("-"));
}

/** The `ward` program; given `argv`, only the command it asks for when that command runs alone (`server`). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command("ward")
    .description("Ward: OAuth 2.1 / OpenID Connect authorization for AI agents and MCP servers")
    .version("0.1.0")
    .option("--json", "machine-readable JSON output")
    .option("-q, --quiet", "print only what is asked for (errors still go to stderr)")
    .option("--no-color", "no ANSI colours")
    .showHelpAfterError()
    .exitOverride();
  const asked = commandOf(argv);
  const names = asked !== undefined && STANDALONE.has(asked) ? [asked] : Object.keys(REGISTRARS);
  const registrars = await Promise.all(names.map((name) => (REGISTRARS[name] as () => Promise<Register>)()));
  for (const register of registrars) register(program);
  program.addHelpText(
    "after",
    "\nExit codes: 0 ok · 1 failure (unsafe config, could not start) · 2 usage (or no admin key) · 3 the server refused the request · 4 the server is unreachable · agent: 5 login timed out · 6 not logged in",
  );
  return program;
}

/**
 * An "unknown option" that looks like an identifier (a single dash, then 8 or more id characters)
 * is most likely an id that begins with "-": client ids generated before Ward avoided a leading
 * dash, or chosen by an admin. Says how to pass it.
 */
function dashIdHint(error: CommanderError): string | undefined {
  if (error.code !== "commander.unknownOption") return undefined;
  const token = /unknown option '(-[A-Za-z0-9_][A-Za-z0-9_-]{7,})'/.exec(error.message)?.[1];
  if (token === undefined) return undefined;
  return `hint: if '${token}' is an id that begins with "-", put it after "--", with every option before it: ward … --json -- ${token}\n`;
}

/** Runs the CLI; commander usage errors exit 2. */
export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const hint = dashIdHint(error);
      if (hint) process.stderr.write(hint);
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw error;
  }
}
