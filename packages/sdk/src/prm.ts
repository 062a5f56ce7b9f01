/** RFC 9728 Protected Resource Metadata, as the SDK serves it. */
export interface ProtectedResourceMetadataOptions {
  /** The resource identifier exactly as registered at the issuer (the tokens' aud). */
  resource: string;
  /** Issuers whose tokens this resource accepts. */
  authorizationServers: readonly string[];
  scopesSupported?: readonly string[];
  /** Default ["header"]: tokens only in the Authorization header (RFC 6750 §2.1). */
  bearerMethodsSupported?: readonly string[];
  dpopSigningAlgValuesSupported?: readonly string[];
  resourceName?: string;
  resourceDocumentation?: string;
}

export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): Record<string, unknown> {
  const document: Record<string, unknown> = {
    resource: options.resource,
    authorization_servers: [...options.authorizationServers],
    bearer_methods_supported: [...(options.bearerMethodsSupported ?? ["header"])],
  };
  if (options.scopesSupported) document.scopes_supported = [...options.scopesSupported];
  if (options.dpopSigningAlgValuesSupported) document.dpop_signing_alg_values_supported = [...options.dpopSigningAlgValuesSupported];
  if (options.resourceName) document.resource_name = options.resourceName;
  if (options.resourceDocumentation) document.resource_documentation = options.resourceDocumentation;
  return document;
}

/**
 * RFC 9728 §3.1: where the metadata of `resource` lives, the well-known segment inserted before the
 * resource's path (`https://api.example.com/mcp` → `/.well-known/oauth-protected-resource/mcp`).
 */
export function protectedResourceMetadataPath(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return `/.well-known/oauth-protected-resource${path}`;
}

export function protectedResourceMetadataUrl(resource: string): string {
  return `${new URL(resource).origin}${protectedResourceMetadataPath(resource)}`;
}
