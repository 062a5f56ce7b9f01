import { discoverIssuer, discoverProtectedResource } from "../oauth/discovery.js";
import type { AgentPaths } from "../paths.js";
import { saveProvider } from "./registry.js";
import type { Flow, ProviderDefinition } from "./types.js";

export const isUrl = (value: string) => /^https?:\/\//i.test(value);

/** The provider name of an MCP server URL: mcp-<host>-<port>[-<path>], e.g. mcp-127-0-0-1-4000-mcp. */
export function mcpProviderName(url: string): string {
  const parsed = new URL(url);
  const parts = [parsed.hostname, parsed.port, parsed.pathname].join("-");
  return `mcp-${parts
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")}`.slice(0, 64);
}

/**
 * An MCP server as a provider: its Protected Resource Metadata (RFC 9728) names the resource and the
 * authorization server, whose metadata (RFC 8414) gives the endpoints. Saved so later commands can use it.
 */
export async function providerFromMcpUrl(
  paths: AgentPaths,
  url: string,
  options: { clientId?: string; clientMetadataUrl?: string },
): Promise<ProviderDefinition> {
  const prm = await discoverProtectedResource(url);
  const issuer = prm.authorization_servers[0] as string;
  const metadata = await discoverIssuer(issuer);
  const flows: Flow[] = ["pkce"];
  const cimd = Boolean(options.clientMetadataUrl) && metadata.client_id_metadata_document_supported === true;
  if (metadata.registration_endpoint) flows.push("dcr_pkce");
  if (metadata.device_authorization_endpoint) flows.push("device_code");
  const provider: ProviderDefinition = {
    name: mcpProviderName(url),
    display_name: `MCP server ${url}`,
    mcp_url: url,
    issuer,
    resource: prm.resource,
    flows,
    // MCP's order: a known client, then a client metadata document, then dynamic registration.
    default_flow: options.clientId || cimd || !metadata.registration_endpoint ? "pkce" : "dcr_pkce",
    ...(prm.scopes_supported?.length ? { scopes: prm.scopes_supported } : {}),
  };
  saveProvider(paths, provider);
  return provider;
}
