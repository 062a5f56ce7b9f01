import { WardError } from "@ward/core";
import { audit } from "../audit.js";
import type { AgentContext } from "../commands/context.js";
import { freshConnection } from "../oauth/refresh.js";
import { API_HOST_PATTERN } from "../providers/provider-schema.js";
import type { ProviderDefinition } from "../providers/types.js";
import type { Connection } from "../store/model.js";
import { proxyChildEnv } from "./child-env.js";
import { type HeaderSource, startInjectingProxy } from "./injecting-proxy.js";
import { createLocalCa } from "./local-ca.js";

/** The header a provider's API expects: its API-key header, else `Authorization: Bearer <access token>`. */
export function credentialHeader(provider: ProviderDefinition, connection: Connection): [string, string] {
  if (connection.kind === "api_key")
    return [provider.api_key?.header ?? "authorization", `${provider.api_key?.prefix ?? ""}${connection.api_key ?? ""}`];
  const type = !connection.token_type || connection.token_type.toLowerCase() === "bearer" ? "Bearer" : connection.token_type;
  return ["authorization", `${type} ${connection.access_token ?? ""}`];
}

/** "host" → "host:443"; throws agent_proxy_api_hosts_invalid for anything else. */
function hostKey(provider: string, host: string): string {
  const lower = host.toLowerCase();
  if (!API_HOST_PATTERN.test(lower))
    throw new WardError("agent_proxy_api_hosts_invalid", { provider, received: host, expected: "host or host:port (e.g. api.github.com)" });
  return /:\d+$/.test(lower) ? lower : `${lower}:443`;
}

export interface ProxySession {
  env: NodeJS.ProcessEnv;
  /** host:port → provider, for the audit log. */
  hosts: string[];
  close(): Promise<void>;
}

/**
 * Starts the header-injecting proxy for `providers` (their `api_hosts`, or `apiHosts` for a single
 * provider) and returns the child's environment, which holds no credential.
 */
export async function startProxySession(
  ctx: AgentContext,
  providers: ProviderDefinition[],
  apiHosts: string[] | undefined,
  base: NodeJS.ProcessEnv,
): Promise<ProxySession> {
  if (apiHosts && providers.length !== 1)
    throw new WardError("agent_proxy_api_hosts_invalid", {
      provider: providers.map((p) => p.name).join(", ") || "(none)",
      received: `--api-host for ${providers.length} providers`,
      expected: "exactly one --provider with --api-host",
    });
  const headers = new Map<string, HeaderSource>();
  const injections = new Map<string, { provider: string; requests: number }>();
  for (const provider of providers) {
    const hosts = apiHosts ?? provider.api_hosts ?? [];
    if (hosts.length === 0)
      throw new WardError("agent_proxy_api_hosts_invalid", {
        provider: provider.name,
        received: "none",
        expected: "api_hosts in the provider file, or --api-host",
      });
    await freshConnection(ctx.store, provider, undefined); // fail now (not logged in) rather than per request
    const source: HeaderSource = async () => credentialHeader(provider, (await freshConnection(ctx.store, provider, undefined)).connection);
    for (const host of hosts) {
      const key = hostKey(provider.name, host);
      const injected = { provider: provider.name, requests: 0 };
      injections.set(key, injected);
      headers.set(key, () => {
        injected.requests++;
        return source();
      });
    }
  }
  const ca = createLocalCa();
  const proxy = await startInjectingProxy({ ca, headers, log: (line) => process.stderr.write(`${line}\n`) });
  const child = proxyChildEnv(base, proxy.url, ca.certificatePem, [...headers.keys()]);
  return {
    env: child.env,
    hosts: [...headers.keys()],
    close: async () => {
      child.cleanup();
      await proxy.close();
      // One audit line per provider and host the credential was added to, with the count (no secret).
      for (const [host, { provider, requests }] of injections)
        if (requests > 0) audit(ctx.paths, { event: "proxy_injection", provider, detail: `${requests} request(s) to ${host}` });
    },
  };
}
