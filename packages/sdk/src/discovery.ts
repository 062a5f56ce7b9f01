import { OutboundFetchError, WardError } from "@ward/core";
import { type FetchPolicy, fetchJson } from "./fetch-json.js";

/** The RFC 8414 fields the SDK uses. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  introspection_endpoint?: string;
  token_endpoint?: string;
  authorization_endpoint?: string;
  [field: string]: unknown;
}

/**
 * RFC 8414 §3.1: the metadata URL of an issuer, the well-known segment inserted before any path
 * (`https://as.example/tenant` → `https://as.example/.well-known/oauth-authorization-server/tenant`).
 */
export function metadataUrl(issuer: string, wellKnown = "oauth-authorization-server"): string {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return `${url.origin}/.well-known/${wellKnown}${path}`;
}

/**
 * Fetches and checks the issuer's metadata: its `issuer` must equal the configured issuer byte for
 * byte (RFC 8414 §3.3, the mix-up defence) and it must name a jwks_uri. Failures are
 * `issuer_metadata_unavailable` naming the URL and the reason.
 */
export async function discoverIssuer(issuer: string, policy: FetchPolicy): Promise<IssuerMetadata> {
  const url = metadataUrl(issuer);
  const fail = (reason: string) => new WardError("issuer_metadata_unavailable", { url, reason });
  let body: unknown;
  try {
    ({ body } = await fetchJson(url, policy));
  } catch (error) {
    if (error instanceof OutboundFetchError) throw fail(error.message);
    throw error;
  }
  const metadata = body as Partial<IssuerMetadata> | null;
  if (!metadata || typeof metadata !== "object") throw fail("it is not a JSON object");
  if (metadata.issuer !== issuer)
    throw fail(`its issuer is ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)} (they must match byte for byte)`);
  if (typeof metadata.jwks_uri !== "string") throw fail("it has no jwks_uri");
  return metadata as IssuerMetadata;
}
