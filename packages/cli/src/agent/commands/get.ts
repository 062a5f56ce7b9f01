import type { Command } from "commander";
import { out, printJson, printRecord } from "../../output.js";
import { audit } from "../audit.js";
import { freshConnection } from "../oauth/refresh.js";
import type { Connection } from "../store/model.js";
import { agentAction, globalOptions } from "./action.js";
import { agentContext, redact } from "./context.js";

const SECRET_FIELDS = ["access_token", "refresh_token", "id_token", "api_key"] as const;

function view(provider: string, name: string, c: Connection, reveal: boolean): Record<string, unknown> {
  const secret = (value: string | undefined) => (reveal ? value : redact(value));
  return {
    provider,
    connection: name,
    kind: c.kind,
    scopes: c.scopes,
    expires_at: c.expires_at === undefined ? undefined : new Date(c.expires_at).toISOString(),
    token_type: c.token_type,
    resource: c.resource,
    access_token: secret(c.access_token),
    refresh_token: secret(c.refresh_token),
    id_token: secret(c.id_token),
    api_key: secret(c.api_key),
    obtained_at: new Date(c.obtained_at).toISOString(),
    refreshed_at: c.refreshed_at === undefined ? undefined : new Date(c.refreshed_at).toISOString(),
  };
}

export function registerGet(program: Command): void {
  program
    .command("get <provider>")
    .description("show stored credentials (secrets redacted unless --field names one or --reveal), refreshing them near expiry")
    .option("--field <name>", "print one field only (e.g. access_token, scopes, expires_at)")
    .option("--connection <name>", "a named connection instead of the provider's default")
    .option("--reveal", "show secret values in the full record")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok · 2 unknown provider · 3 refresh refused (log in again) · 4 provider unreachable (tokens kept) · 6 not logged in",
    )
    .action(
      agentAction(async (name: string, opts: { field?: string; connection?: string; reveal?: boolean }, command: Command) => {
        const output = globalOptions(command);
        const ctx = await agentContext();
        const provider = ctx.provider(name);
        const found = await freshConnection(ctx.store, provider, opts.connection);
        const asked = opts.field !== undefined && (SECRET_FIELDS as readonly string[]).includes(opts.field);
        const record = view(provider.name, found.name, found.connection, Boolean(opts.reveal) || asked);
        if (asked) audit(ctx.paths, { event: "get", provider: provider.name, connection: found.name, detail: `field=${opts.field}` });
        if (opts.field !== undefined) {
          if (!Object.hasOwn(record, opts.field))
            throw new Error(`--field ${opts.field}: no such field; fields: ${Object.keys(record).join(", ")}`);
          const value = record[opts.field];
          if (output.json) printJson(value ?? null);
          else out(Array.isArray(value) ? value.join(" ") : String(value ?? ""));
          return;
        }
        if (output.json) printJson(record);
        else printRecord(record);
      }),
    );
}
