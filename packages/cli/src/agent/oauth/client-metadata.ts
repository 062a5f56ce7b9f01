import { WardError } from "@ward/core";
import type { ClientRegistration } from "../store/model.js";

export const CLIENT_METADATA_ENV = "WARD_AGENT_CLIENT_METADATA_URL";

/**
 * Why a URL cannot be a Client ID Metadata Document's client_id (draft-ietf-oauth-client-id-metadata-document
 * §3: https, a path, no fragment, no userinfo, no dot segments), or undefined when it can.
 */
export function clientMetadataUrlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return "not a URL";
  const url = new URL(value);
  if (url.protocol !== "https:") return "not https";
  if (url.username || url.password) return "it carries credentials";
  if (value.includes("#")) return "it has a fragment";
  if (url.pathname === "/") return "it has no path";
  if (/\/\.\.?(\/|$)/.test(value.slice(url.origin.length).split("?")[0] ?? "")) return "it has . or .. path segments";
  return undefined;
}

/** The configured document URL (--client-metadata-url, else the environment), checked; undefined when none. */
export function configuredClientMetadataUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const source = option !== undefined ? "--client-metadata-url" : CLIENT_METADATA_ENV;
  const value = option ?? env[CLIENT_METADATA_ENV];
  if (!value) return undefined;
  const reason = clientMetadataUrlProblem(value);
  if (reason) throw new WardError("agent_client_metadata_url_invalid", { source, received: value, reason });
  return value;
}

/** This CLI as an OAuth client (RFC 7591 names): public, native, the daemon's callback its only redirect URI. */
export function nativeClientMetadata(redirectUri: string): Record<string, unknown> {
  return {
    client_name: "Ward agent CLI",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    application_type: "native",
  };
}

/** The document to host at `url`: the client metadata with the URL itself as client_id. */
export const clientMetadataDocument = (url: string, redirectUri: string) => ({ client_id: url, ...nativeClientMetadata(redirectUri) });

/** The client a login uses when the authorization server accepts metadata documents: the URL is the client_id. */
export const metadataDocumentClient = (url: string, redirectUri: string): ClientRegistration => ({
  client_id: url,
  redirect_uri: redirectUri,
  source: "cimd",
});
