import { WardError } from "@ward/core";
import { type Command, InvalidArgumentError } from "commander";
import { err, type OutputOptions, out, printJson } from "../../output.js";
import { audit } from "../audit.js";
import { askInBrowser } from "../oauth/bridge-client.js";
import { CLIENT_METADATA_ENV, configuredClientMetadataUrl } from "../oauth/client-metadata.js";
import { deviceLogin } from "../oauth/device-login.js";
import { resolveEndpoints } from "../oauth/discovery.js";
import { pkceLogin } from "../oauth/pkce-login.js";
import { redirectUri } from "../paths.js";
import { waitingLine } from "../progress.js";
import { isUrl, providerFromMcpUrl } from "../providers/mcp.js";
import { FLOWS, type Flow, type ProviderDefinition } from "../providers/types.js";
import { readSecret } from "../secret-input.js";
import { DEFAULT_CONNECTION } from "../store/credential-store.js";
import type { Connection } from "../store/model.js";
import { agentAction, globalOptions } from "./action.js";
import { agentContext } from "./context.js";
import { chooseLoginClient } from "./login-client.js";

interface LoginOptions {
  flow?: string;
  scopes?: string;
  force?: boolean;
  connection?: string;
  clientId?: string;
  clientSecret?: string;
  clientSecretStdin?: boolean;
  clientMetadataUrl?: string;
  apiKey?: string;
  bridge?: boolean;
  resource?: string;
  timeout: number;
}

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}

function chooseFlow(provider: ProviderDefinition, requested: string | undefined): Flow {
  const flow = (requested ?? provider.default_flow) as Flow;
  if (!FLOWS.includes(flow))
    throw new WardError("agent_flow_unsupported", { flow, provider: provider.name, reason: `flows are ${FLOWS.join(", ")}` });
  if (!provider.flows.includes(flow))
    throw new WardError("agent_flow_unsupported", { flow, provider: provider.name, reason: `it supports ${provider.flows.join(", ")}` });
  return flow;
}

/** --flow api_key: the key comes from a hidden prompt or stdin, never from argv. */
async function saveApiKey(
  ctx: Awaited<ReturnType<typeof agentContext>>,
  provider: ProviderDefinition,
  connectionName: string,
  opts: LoginOptions,
  output: OutputOptions,
): Promise<void> {
  if (opts.apiKey !== undefined) throw new WardError("agent_secret_in_argv", { field: "--api-key" });
  const key = opts.bridge
    ? await askInBrowser(bridgeOptions(ctx, opts, output), { kind: "api_key", provider: provider.name, setup_url: provider.docs_url }).then(
        (answer) => ("api_key" in answer ? answer.api_key : ""),
      )
    : await readSecret(`API key for ${provider.name}${provider.docs_url ? ` (from ${provider.docs_url})` : ""}: `);
  if (!key)
    throw new WardError("agent_provider_invalid", {
      name: provider.name,
      field: "api key",
      received: "empty",
      expected: "the key, typed at the prompt or piped on stdin",
    });
  ctx.store.saveConnection(
    provider.name,
    connectionName,
    { kind: "api_key", api_key: key, obtained_at: Date.now() },
    { makeDefault: opts.connection === undefined },
  );
  audit(ctx.paths, { event: "login", provider: provider.name, connection: connectionName, detail: "flow=api_key" });
  if (output.json) printJson({ provider: provider.name, connection: connectionName, flow: "api_key" });
  else if (!output.quiet) out(`✓ Stored the API key for ${provider.name} (${connectionName})`);
}

/**
 * Asked-for scopes the grant lacks. offline_access counts as granted when a refresh token came back:
 * many providers leave it out of the response's `scope`.
 */
function missingScopes(asked: string[], connection: Connection): string[] {
  const granted = grantedScopes(connection);
  return asked.filter((s) => (s === "offline_access" ? !connection.refresh_token : !granted.includes(s)));
}

/** The scopes in effect: offline_access only when a refresh token came back, whatever `scope` says. */
function grantedScopes(connection: Connection): string[] {
  const scopes = connection.scopes ?? [];
  return connection.refresh_token ? scopes : scopes.filter((s) => s !== "offline_access");
}

const bridgeOptions = (ctx: Awaited<ReturnType<typeof agentContext>>, opts: LoginOptions, output: OutputOptions) => ({
  paths: ctx.paths,
  port: ctx.port,
  timeoutMs: opts.timeout * 1000,
  say: (line: string) => (output.quiet ? undefined : err(line)),
});

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) throw new InvalidArgumentError("expected whole seconds from 1 to 3600");
  return seconds;
}

export function registerLogin(program: Command): void {
  program
    .command("login <provider>")
    .description("log in to a provider and store its credentials encrypted")
    .option("--flow <flow>", `how to log in: ${FLOWS.join(", ")} (default: the provider's)`)
    .option("--scopes <list>", "comma-separated scopes (default: the provider's)")
    .option("--force", "log in again even when credentials are stored")
    .option("--connection <name>", "store under this connection name (default: default)")
    .option("--client-id <id>", "OAuth client_id of your app at the provider")
    .option("--client-secret <secret>", "refused: secrets never go on the command line (use --client-secret-stdin)")
    .option("--client-secret-stdin", "read the client secret from stdin")
    .option(
      "--client-metadata-url <url>",
      `https URL of this CLI's client metadata document, used as client_id where the server accepts them (env ${CLIENT_METADATA_ENV}; \`ward client-metadata <url>\` prints the document)`,
    )
    .option("--api-key <key>", "refused: API keys are read from a hidden prompt or stdin (--flow api_key)")
    .option("--bridge", "with --flow api_key: paste the key on a one-time local web page instead of the hidden prompt")
    .option("--resource <uri>", "RFC 8707 resource to ask tokens for (default: the provider's)")
    .option("--timeout <seconds>", "how long to wait for the browser or the device", parseSeconds, 300)
    .addHelpText("after", "\nExit codes: 0 logged in · 2 usage · 3 the provider refused · 4 provider unreachable · 5 timed out")
    .action(
      agentAction(async (name: string, opts: LoginOptions, command: Command) => {
        const output = globalOptions(command);
        if (opts.clientSecret !== undefined) throw new WardError("agent_secret_in_argv", { field: "--client-secret" });
        const ctx = await agentContext();
        const clientMetadataUrl = configuredClientMetadataUrl(opts.clientMetadataUrl);
        const provider = isUrl(name)
          ? await providerFromMcpUrl(ctx.paths, name, { clientId: opts.clientId, clientMetadataUrl })
          : ctx.provider(name);
        const connectionName = opts.connection ?? DEFAULT_CONNECTION;
        const existing = ctx.store.getConnection(provider.name, opts.connection);
        if (existing && !opts.force) {
          if (output.json) printJson({ provider: provider.name, connection: existing.name, already_logged_in: true });
          else if (!output.quiet) out(`Already logged in to ${provider.name} (${existing.name}). Use --force to log in again.`);
          return;
        }
        const flow = chooseFlow(provider, opts.flow);
        const scopes = opts.scopes ? opts.scopes.split(/[ ,]+/).filter(Boolean) : (provider.scopes ?? []);
        const say = (line: string) => (output.quiet ? undefined : err(line));
        const waiting = output.quiet || output.json ? undefined : waitingLine(process.stderr);
        if (flow === "api_key") return saveApiKey(ctx, provider, connectionName, opts, output);
        const endpoints = await resolveEndpoints(provider);
        const resource = opts.resource ?? provider.resource;
        const timeoutMs = opts.timeout * 1000;
        const client = await chooseLoginClient({
          provider,
          flow,
          endpoints,
          stored: ctx.store.read().providers[provider.name]?.client,
          clientId: opts.clientId,
          readSecret: async () => (opts.clientSecretStdin ? readStdin() : undefined),
          clientMetadataUrl,
          redirectUri: redirectUri(ctx.port),
          scopes,
          say,
          askUser: () =>
            askInBrowser(bridgeOptions(ctx, opts, output), {
              kind: "client",
              provider: provider.name,
              redirect_uri: flow === "device_code" ? undefined : redirectUri(ctx.port),
              setup_url: provider.docs_url,
            }),
        });
        ctx.store.saveClient(provider.name, client);
        let connection: Connection;
        if (flow === "device_code")
          connection = await deviceLogin({ provider: provider.name, endpoints, client, scopes, resource, timeoutMs, say, waiting });
        else if (flow === "pkce" || flow === "dcr_pkce")
          connection = await pkceLogin({
            paths: ctx.paths,
            port: ctx.port,
            provider: provider.name,
            endpoints,
            client,
            scopes,
            resource,
            timeoutMs,
            say,
            waiting,
          });
        else throw new WardError("agent_flow_unsupported", { flow, provider: provider.name, reason: "unknown flow" });
        ctx.store.saveConnection(provider.name, connectionName, connection, { makeDefault: opts.connection === undefined });
        audit(ctx.paths, {
          event: "login",
          provider: provider.name,
          connection: connectionName,
          detail: `flow=${flow} scopes=${(connection.scopes ?? []).join(" ")}`,
        });
        const missing = missingScopes(scopes, connection);
        if (output.json)
          printJson({
            provider: provider.name,
            connection: connectionName,
            flow,
            scopes: connection.scopes ?? [],
            missing_scopes: missing,
          });
        else if (!output.quiet)
          out(`✓ Logged in to ${provider.name} (${connectionName}), scopes: ${(connection.scopes ?? []).join(" ") || "(none)"}`);
        if (missing.length)
          throw new WardError("agent_scope_missing", {
            provider: provider.name,
            granted: grantedScopes(connection).join(" ") || "(none)",
            missing: missing.join(" "),
          });
      }),
    );
}
