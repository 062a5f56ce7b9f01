export const FLOWS = ["pkce", "device_code", "dcr_pkce", "api_key"] as const;
export type Flow = (typeof FLOWS)[number];

/** One provider the agent can log in to: data, validated against provider-schema.ts. */
export interface ProviderDefinition {
  name: string;
  display_name?: string;
  /** OAuth issuer: endpoints not listed here are discovered from it (RFC 8414 / OpenID discovery). */
  issuer?: string;
  /** An MCP server URL: its Protected Resource Metadata (RFC 9728) names the authorization server. */
  mcp_url?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  device_authorization_endpoint?: string;
  registration_endpoint?: string;
  revocation_endpoint?: string;
  flows: Flow[];
  default_flow: Flow;
  scopes?: string[];
  /** RFC 8707 resource indicator to send (MCP servers, Ward resources). */
  resource?: string;
  /** A public client_id usable by anyone (otherwise `ward login --client-id`). */
  client_id?: string;
  /** Where to create the OAuth app or API key. */
  docs_url?: string;
  api_key?: { env_var: string; header: string; prefix?: string };
  /** Hosts (host or host:port, 443 when absent) `ward run --proxy` injects this provider's credentials into. */
  api_hosts?: string[];
  /** Environment variable `ward run` / `ward export` put the access token in. */
  env_var?: string;
}
