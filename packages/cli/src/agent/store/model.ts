/** One set of credentials for one provider (a provider may have several, by name). */
export interface Connection {
  /** "oauth" (access/refresh tokens) or "api_key". */
  kind: "oauth" | "api_key";
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  /** Epoch milliseconds; absent when the provider did not say. */
  expires_at?: number;
  scopes?: string[];
  id_token?: string;
  api_key?: string;
  /** The RFC 8707 resource the tokens are for (MCP servers). */
  resource?: string;
  obtained_at: number;
  refreshed_at?: number;
}

/** The OAuth client Ward uses at a provider (configured by the user, or registered by DCR). */
export interface ClientRegistration {
  client_id: string;
  client_secret?: string;
  registration_access_token?: string;
  registration_client_uri?: string;
  redirect_uri?: string;
  /** For a DCR client: the registration endpoint it was registered at (another one registers again). */
  registered_at?: string;
  source: "configured" | "dcr" | "cimd";
}

export interface ProviderCredentials {
  default_connection: string;
  connections: Record<string, Connection>;
  client?: ClientRegistration;
}

/** The decrypted store. */
export interface StoreData {
  version: 1;
  providers: Record<string, ProviderCredentials>;
}

export const emptyStore = (): StoreData => ({ version: 1, providers: {} });
