import { readFileSync } from "node:fs";
import { WardError } from "@ward/core";
import type { Command } from "commander";
import { out, printJson, printRecord, printTable } from "../../output.js";
import { discoverIssuer, type Endpoints } from "../oauth/discovery.js";
import { PROVIDER_SCHEMA } from "../providers/provider-schema.js";
import { deleteProvider, isBuiltin, listProviders, saveProvider } from "../providers/registry.js";
import type { Flow, ProviderDefinition } from "../providers/types.js";
import { agentAction, globalOptions } from "./action.js";
import { agentContext } from "./context.js";

interface AddOptions {
  issuer?: string;
  name?: string;
  clientId?: string;
  scopes?: string;
  resource?: string;
}

/** A provider from an issuer's metadata: the flows its endpoints allow. */
async function fromIssuer(opts: AddOptions): Promise<ProviderDefinition> {
  if (!opts.issuer || !opts.name)
    throw new WardError("agent_provider_invalid", {
      name: opts.name ?? "(unnamed)",
      field: opts.issuer ? "--name" : "--issuer",
      received: "missing",
      expected: "`ward providers add <file>` or `ward providers add --issuer <url> --name <name>`",
    });
  const metadata = await discoverIssuer(opts.issuer);
  const flows: Flow[] = [];
  if (metadata.authorization_endpoint && metadata.token_endpoint) flows.push("pkce");
  if (metadata.device_authorization_endpoint) flows.push("device_code");
  if (metadata.registration_endpoint && metadata.authorization_endpoint) flows.push("dcr_pkce");
  if (flows.length === 0)
    throw new WardError("agent_discovery_failed", {
      url: opts.issuer,
      reason: "its metadata lists no authorization, token or device endpoint",
    });
  return {
    name: opts.name,
    issuer: opts.issuer,
    flows,
    default_flow: flows[0] as Flow,
    ...(opts.clientId ? { client_id: opts.clientId } : {}),
    ...(opts.scopes ? { scopes: opts.scopes.split(/[ ,]+/).filter(Boolean) } : {}),
    ...(opts.resource ? { resource: opts.resource } : {}),
  };
}

export function registerProviders(program: Command): void {
  const providers = program.command("providers").description("the providers the agent can log in to (built-in and your own)");

  providers
    .command("list")
    .description("every provider with its flows")
    .action(
      agentAction(async (_opts: unknown, command: Command) => {
        const { paths } = await agentContext();
        const rows = listProviders(paths).map((p) => ({
          name: p.name,
          flows: p.flows,
          default_flow: p.default_flow,
          source: isBuiltin(p.name) ? "built-in" : "yours",
        }));
        if (globalOptions(command).json) printJson(rows);
        else printTable(rows, ["name", "flows", "default_flow", "source"]);
      }),
    );

  providers
    .command("add [file]")
    .description("add a provider from a JSON file (see `ward providers schema`) or from an issuer's discovery metadata")
    .option("--issuer <url>", "discover endpoints from this issuer (RFC 8414 / OpenID discovery)")
    .option("--name <name>", "the provider's name (with --issuer)")
    .option("--client-id <id>", "your app's client_id at the provider")
    .option("--scopes <list>", "default scopes, comma-separated")
    .option("--resource <uri>", "RFC 8707 resource to ask tokens for")
    .action(
      agentAction(async (file: string | undefined, opts: AddOptions, command: Command) => {
        const { paths } = await agentContext();
        let provider: ProviderDefinition;
        if (file) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(readFileSync(file, "utf8"));
          } catch (error) {
            throw new WardError("agent_provider_invalid", {
              name: file,
              field: "(file)",
              received: (error as Error).message,
              expected: "a readable JSON file",
            });
          }
          provider = parsed as ProviderDefinition;
        } else provider = await fromIssuer(opts);
        const path = saveProvider(paths, provider);
        if (globalOptions(command).json) printJson({ added: provider.name, path, provider });
        else if (!globalOptions(command).quiet) out(`✓ Added provider ${provider.name} (flows: ${provider.flows.join(", ")}) in ${path}`);
      }),
    );

  providers
    .command("remove <name>")
    .description("remove one of your providers (built-in ones cannot be removed)")
    .action(
      agentAction(async (name: string, _opts: unknown, command: Command) => {
        const { paths } = await agentContext();
        const removed = deleteProvider(paths, name);
        if (!removed)
          throw new WardError("agent_provider_unknown", {
            received: name,
            known:
              listProviders(paths)
                .filter((p) => !isBuiltin(p.name))
                .map((p) => p.name)
                .join(", ") || "(none of yours)",
          });
        if (globalOptions(command).json) printJson({ removed: name });
        else if (!globalOptions(command).quiet) out(`✓ Removed provider ${name}`);
      }),
    );

  providers
    .command("schema")
    .description("print the JSON schema of a provider file")
    .action(() => printJson(PROVIDER_SCHEMA));
}

export function registerInspect(program: Command): void {
  program
    .command("inspect <provider>")
    .description("a provider's definition, discovered endpoints and stored connections (no secrets)")
    .action(
      agentAction(async (name: string, _opts: unknown, command: Command) => {
        const ctx = await agentContext();
        const provider = ctx.provider(name);
        const endpoints = provider.issuer
          ? await discoverIssuer(provider.issuer).catch((error: Error) => ({ discovery_error: error.message }))
          : {};
        const entry = ctx.store.read().providers[provider.name];
        const record = {
          ...provider,
          discovered: endpoints,
          supports_dcr: Boolean((endpoints as Endpoints).registration_endpoint ?? provider.registration_endpoint),
          supports_device_code: Boolean((endpoints as Endpoints).device_authorization_endpoint ?? provider.device_authorization_endpoint),
          client_id: entry?.client?.client_id ?? provider.client_id,
          client_source: entry?.client?.source,
          connections: entry ? Object.keys(entry.connections) : [],
          default_connection: entry?.default_connection,
        };
        if (globalOptions(command).json) printJson(record);
        else printRecord(record);
      }),
    );
}
