import { WardError } from "@ward/core";
import type { ProviderDefinition } from "../providers/types.js";
import { getJson } from "./http.js";

/** The endpoints a login needs, from the provider file or discovery. */
export interface Endpoints {
  issuer?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  device_authorization_endpoint?: string;
  registration_endpoint?: string;
  revocation_endpoint?: string;
  scopes_supported?: string[];
  /** RFC 9207: the server puts `iss` on authorization responses. */
  iss_parameter_supported?: boolean;
  client_id_metadata_document_supported?: boolean;
}

/** RFC 8414 §3.1 (well-known suffix inserted before the issuer's path), then OpenID Connect Discovery 1.0. */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${url.origin}${path}/.well-known/openid-configuration`];
}

/** Fetches and checks an authorization server's metadata; its `issuer` must equal the one asked for. */
export async function discoverIssuer(issuer: string): Promise<Endpoints> {
  let last: unknown;
  for (const url of metadataUrls(issuer)) {
    try {
      const metadata = await getJson(url);
      if (metadata.issuer !== issuer)
        throw new WardError("agent_discovery_failed", { url, reason: `its issuer is ${String(metadata.issuer)}, expected ${issuer}` });
      return {
        issuer,
        authorization_endpoint: metadata.authorization_endpoint as string | undefined,
        token_endpoint: metadata.token_endpoint as string | undefined,
        device_authorization_endpoint: metadata.device_authorization_endpoint as string | undefined,
        registration_endpoint: metadata.registration_endpoint as string | undefined,
        revocation_endpoint: metadata.revocation_endpoint as string | undefined,
        scopes_supported: metadata.scopes_supported as string[] | undefined,
        iss_parameter_supported: metadata.authorization_response_iss_parameter_supported === true,
        client_id_metadata_document_supported: metadata.client_id_metadata_document_supported === true,
      };
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/** The same URL, written alike up to URL normalisation and a trailing slash. */
function sameResource(a: string, b: string): boolean {
  const normal = (value: string) => (URL.canParse(value) ? new URL(value).href.replace(/\/$/, "") : value);
  return normal(a) === normal(b);
}

/** RFC 9728: an MCP server's Protected Resource Metadata names its resource and authorization servers. */
export async function discoverProtectedResource(
  resourceUrl: string,
): Promise<{ resource: string; authorization_servers: string[]; scopes_supported?: string[] }> {
  const url = new URL(resourceUrl);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  const metadataUrl = `${url.origin}/.well-known/oauth-protected-resource${path}`;
  const metadata = await getJson(metadataUrl);
  const servers = metadata.authorization_servers;
  if (!Array.isArray(servers) || servers.length === 0 || typeof servers[0] !== "string")
    throw new WardError("agent_discovery_failed", { url: metadataUrl, reason: "authorization_servers is missing or empty" });
  if (typeof metadata.resource !== "string")
    throw new WardError("agent_discovery_failed", { url: metadataUrl, reason: "resource is missing" });
  // RFC 9728 §3.3: otherwise a server could have Ward ask for tokens meant for another resource, then receive them.
  if (!sameResource(metadata.resource, resourceUrl))
    throw new WardError("agent_discovery_failed", {
      url: metadataUrl,
      reason: `its resource is ${metadata.resource}, expected ${resourceUrl} (RFC 9728 §3.3: metadata of another resource must not be used)`,
    });
  return {
    resource: metadata.resource,
    authorization_servers: servers as string[],
    scopes_supported: metadata.scopes_supported as string[] | undefined,
  };
}

/** The provider's endpoints: explicit ones win, the rest come from its issuer's metadata. */
export async function resolveEndpoints(provider: ProviderDefinition): Promise<Endpoints> {
  const explicit: Endpoints = {
    issuer: provider.issuer,
    authorization_endpoint: provider.authorization_endpoint,
    token_endpoint: provider.token_endpoint,
    device_authorization_endpoint: provider.device_authorization_endpoint,
    registration_endpoint: provider.registration_endpoint,
    revocation_endpoint: provider.revocation_endpoint,
  };
  if (!provider.issuer) return explicit;
  const discovered = await discoverIssuer(provider.issuer);
  const merged: Endpoints = { ...discovered };
  for (const [key, value] of Object.entries(explicit)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  return merged;
}
