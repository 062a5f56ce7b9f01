import type { Command } from "commander";
import { printJson, printTable } from "../../output.js";
import { connectionState } from "../connection-state.js";
import { isBuiltin, listProviders } from "../providers/registry.js";
import { agentAction, globalOptions } from "./action.js";
import { agentContext } from "./context.js";

export function registerList(program: Command): void {
  program
    .command("list")
    .description("every provider, built-in and yours, with its connections and their state (no secrets)")
    .option("--connected", "only providers with a stored connection")
    .action(
      agentAction(async (opts: { connected?: boolean }, command: Command) => {
        const ctx = await agentContext();
        const stored = ctx.store.read().providers;
        const known = listProviders(ctx.paths).map((p) => p.name);
        // A connection whose custom provider file was removed is still listed, so it can be logged out.
        const names = [...known, ...Object.keys(stored).filter((name) => !known.includes(name))];
        const rows = names.flatMap((provider): Record<string, unknown>[] => {
          const source = known.includes(provider) ? (isBuiltin(provider) ? "built-in" : "yours") : "removed";
          const entry = stored[provider];
          const connections = Object.entries(entry?.connections ?? {});
          if (!connections.length)
            return opts.connected ? [] : [{ provider, source, connection: null, state: "not logged in", default: "" }];
          return connections.map(([connection, c]) => ({
            provider,
            source,
            connection,
            state: connectionState(c).state,
            default: connection === entry?.default_connection ? "*" : "",
            kind: c.kind,
            scopes: c.scopes ?? [],
            expires_at: c.expires_at ? new Date(c.expires_at).toISOString() : undefined,
          }));
        });
        if (globalOptions(command).json) printJson(rows);
        else printTable(rows, ["provider", "source", "connection", "default", "state", "scopes", "expires_at"]);
      }),
    );
}
