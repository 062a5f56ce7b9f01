import { spawn } from "node:child_process";
import { constants } from "node:os";
import { WardError } from "@ward/core";
import type { Command } from "commander";
import { EXIT, out, printJson, printTable } from "../../output.js";
import { audit, readAudit } from "../audit.js";
import { envVarName, secretOf } from "../env-vars.js";
import { resolveEndpoints } from "../oauth/discovery.js";
import { freshConnection } from "../oauth/refresh.js";
import { revokeTokens } from "../oauth/revoke.js";
import { startProxySession } from "../proxy/proxy-session.js";
import { printable } from "../terminal-text.js";
import { agentAction, globalOptions } from "./action.js";
import { agentContext, type AgentContext as Context } from "./context.js";

/** Fresh secrets as environment variables, for the named providers or every stored one. */
async function secretEnv(ctx: Context, names: string[]): Promise<Record<string, string>> {
  const stored = Object.keys(ctx.store.read().providers);
  const env: Record<string, string> = {};
  for (const name of names.length ? names : stored) {
    const provider = ctx.provider(name);
    const { connection } = await freshConnection(ctx.store, provider, undefined);
    const secret = secretOf(connection);
    if (secret) env[envVarName(provider, connection)] = secret;
  }
  return env;
}

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Runs the command with stdio inherited; resolves with its exit code (127 when it cannot start,
 * 128 + n after signal n). A signal to ward is passed on to the command and ward waits for it, so the
 * proxy stops and the CA bundle is deleted after the command, never before it and never not at all.
 */
function runChild(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: "inherit", env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  return new Promise<number>((resolve) => {
    const done = (code: number) => {
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve(code);
    };
    child.on("error", (error) => {
      process.stderr.write(`✗ ${argv[0]}: ${error.message}\n`);
      done(127);
    });
    child.on("exit", (exitCode, signal) => done(exitCode ?? (signal ? 128 + (constants.signals[signal] ?? 0) : EXIT.failure)));
  });
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function registerCredentials(program: Command): void {
  program
    .command("export [provider]")
    .description("print fresh credentials as environment variables (every stored provider when none is named)")
    .option("--format <format>", "env (NAME=value), shell (export NAME='value') or json", "env")
    .action(
      agentAction(async (name: string | undefined, opts: { format: string }) => {
        if (!["env", "shell", "json"].includes(opts.format)) throw new Error(`--format ${opts.format}: expected env, shell or json`);
        const ctx = await agentContext();
        const env = await secretEnv(ctx, name ? [name] : []);
        audit(ctx.paths, { event: "export", provider: name, detail: `variables=${Object.keys(env).join(",")}` });
        if (opts.format === "json") return printJson(env);
        for (const [key, value] of Object.entries(env))
          out(opts.format === "shell" ? `export ${key}=${shellQuote(value)}` : `${key}=${value}`);
      }),
    );

  program
    .command("run")
    .description("run a command with fresh credentials: ward run [--provider p] [--proxy] -- <cmd> [args…]")
    .option("--provider <name...>", "only these providers (default: every stored one)")
    .option("--proxy", "keep credentials out of the child: a local HTTPS proxy adds them to requests for the providers' API hosts")
    .option("--api-host <host...>", "with --proxy and one --provider: the hosts (host or host:port) to add its credentials for")
    .argument("<command...>")
    .addHelpText(
      "after",
      "\nExit code: the command's own; 6 when a provider has no credentials.\n--proxy works for curl, Python requests and Node (fetch via a preload, node:https via HTTPS_PROXY-aware agents); see docs/cli.md.",
    )
    .action(
      agentAction(async (argv: string[], opts: { provider?: string[]; proxy?: boolean; apiHost?: string[] }) => {
        const ctx = await agentContext();
        if (opts.apiHost && !opts.proxy) throw new Error("--api-host only applies with --proxy");
        if (!opts.proxy) {
          const env = await secretEnv(ctx, opts.provider ?? []);
          audit(ctx.paths, { event: "run", detail: `command=${argv[0]} variables=${Object.keys(env).join(",")}` });
          process.exitCode = await runChild(argv, { ...process.env, ...env });
          return;
        }
        const names = opts.provider ?? Object.keys(ctx.store.read().providers);
        const session = await startProxySession(ctx, names.map(ctx.provider), opts.apiHost, process.env);
        audit(ctx.paths, { event: "run", detail: `command=${argv[0]} proxy hosts=${session.hosts.join(",")}` });
        try {
          process.exitCode = await runChild(argv, session.env);
        } finally {
          await session.close();
        }
      }),
    );

  program
    .command("logout <provider>")
    .description("delete stored credentials of a provider (one --connection, or all) from this machine")
    .option("--connection <name>", "only this connection")
    .action(
      agentAction(async (name: string, opts: { connection?: string }, command: Command) => {
        const ctx = await agentContext();
        const provider = ctx.provider(name);
        const entry = ctx.store.read().providers[provider.name];
        if (!entry || (opts.connection && !entry.connections[opts.connection]))
          throw new WardError("agent_not_logged_in", { provider: provider.name, connection: opts.connection ?? "default" });
        if (opts.connection) ctx.store.remove(provider.name, opts.connection);
        else
          ctx.store.update((data) => {
            const kept = data.providers[provider.name];
            if (kept) kept.connections = {};
          });
        audit(ctx.paths, { event: "logout", provider: provider.name, connection: opts.connection ?? "(all)" });
        if (globalOptions(command).json) printJson({ logged_out: provider.name, connection: opts.connection ?? null });
        else if (!globalOptions(command).quiet) out(`✓ Logged out of ${provider.name}${opts.connection ? ` (${opts.connection})` : ""}`);
      }),
    );

  program
    .command("revoke <provider>")
    .description("revoke the tokens at the provider (RFC 7009) and clear the stored client and tokens")
    .action(
      agentAction(async (name: string, _opts: unknown, command: Command) => {
        const ctx = await agentContext();
        const provider = ctx.provider(name);
        const entry = ctx.store.read().providers[provider.name];
        if (!entry) throw new WardError("agent_not_logged_in", { provider: provider.name, connection: "default" });
        const answers: string[] = [];
        const endpoints = await resolveEndpoints(provider).catch(() => undefined);
        if (endpoints?.revocation_endpoint && entry.client) {
          for (const connection of Object.values(entry.connections))
            answers.push(...(await revokeTokens(endpoints.revocation_endpoint, entry.client, connection).catch((e: Error) => [e.message])));
        }
        ctx.store.remove(provider.name);
        audit(ctx.paths, {
          event: "revoke",
          provider: provider.name,
          detail: answers.join("; ") || "no revocation endpoint: cleared locally",
        });
        if (globalOptions(command).json) printJson({ revoked: provider.name, server: answers });
        else if (!globalOptions(command).quiet)
          out(
            `✓ Cleared ${provider.name}'s client and tokens${answers.length ? ` (revoked at the provider: ${answers.join(", ")})` : " (the provider has no revocation endpoint)"}`,
          );
      }),
    );

  program
    .command("log")
    .description("the audit log: logins, refreshes, exports, runs (never secrets)")
    .option("-n, --lines <n>", "last N events", "50")
    .action(
      agentAction(async (opts: { lines: string }, command: Command) => {
        const { paths } = await agentContext();
        const events = readAudit(paths).slice(-Number(opts.lines));
        if (globalOptions(command).json) return printJson(events);
        // A refresh_failed detail quotes the provider's answer: escaped like every provider text.
        const rows = events.map((e) =>
          Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === "string" ? printable(v) : v])),
        );
        printTable(rows, ["time", "event", "provider", "connection", "detail"]);
      }),
    );
}
