/**
 * Kysely table types: the columns exactly as stored. Portable across SQLite and PostgreSQL: text,
 * integer, bigint timestamps in epoch milliseconds (numbers on both engines), booleans as 0/1
 * integers, JSON as text. Repositories map rows to records; see SCHEMA.md.
 */

/** The one tenant that exists until issuers per environment land. */
export const DEFAULT_TENANT = "default";

export interface TenantsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface SigningKeysTable {
  tenant_id: string;
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_encrypted: string | null;
  state: "next" | "active" | "retired";
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
  publish_until: number | null;
}

export interface ClientsTable {
  tenant_id: string;
  client_id: string;
  client_secret_hash: string | null;
  /** Epoch ms; 0 or null: never (added by 0002_client_secret_expiry). */
  client_secret_expires_at: number | null;
  client_name: string | null;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  grant_types: string;
  response_types: string;
  token_endpoint_auth_method: string;
  scope: string | null;
  jwks: string | null;
  jwks_uri: string | null;
  application_type: "web" | "native";
  skip_consent: number;
  created_at: number;
  updated_at: number;
  secret_rotated_at: number | null;
  /** Per-client lifetimes in seconds (0004_authorization); null: the resource's or the global default. */
  access_token_ttl: number | null;
  id_token_ttl: number | null;
  refresh_token_ttl: number | null;
  /** 1: /authorize accepts this client's requests only through /par (RFC 9126 §6; 0009_pushed_requests). */
  require_pushed_authorization_requests: number;
  /** RFC 9449 §5.2: 1 = every token request must carry a DPoP proof (0007_dpop). */
  dpop_bound_access_tokens: number;
}

export interface ResourcesTable {
  tenant_id: string;
  id: string;
  uri: string;
  scopes: string;
  access_token_ttl: number;
  created_at: number;
  updated_at: number;
  /** JSON array of client ids that may introspect tokens for this resource (0004_authorization). */
  introspection_clients: string | null;
  /** 1 = tokens for this resource are only issued DPoP-bound (0007_dpop). */
  dpop_required: number;
  /** JSON array of client ids that may obtain tokens for this resource by token exchange (0008_trust). */
  token_exchange_clients: string | null;
  /** The one client id that may act for tokens issued for this resource (their may_act claim, 0008_trust). */
  may_act: string | null;
}

export interface UsersTable {
  tenant_id: string;
  id: string;
  email: string;
  email_normalized: string;
  password_hash: string;
  name: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
  /** Base32 TOTP secret sealed under the master key (AAD: tenant + user id); set at enrolment. */
  totp_secret_encrypted: string | null;
  /** When the user proved the enrolment with a first code; null: 2FA not active. */
  totp_confirmed_at: number | null;
  /** The last accepted TOTP time step: a code is accepted once (RFC 6238 §5.2). */
  totp_last_step: number | null;
  /** JSON array of hashSecret() values of the unused recovery codes. */
  recovery_codes: string | null;
}

export interface AuditEventsTable {
  tenant_id: string;
  id: string;
  type: string;
  actor: string;
  subject: string | null;
  data: string;
  created_at: number;
}

export interface SettingsTable {
  tenant_id: string;
  key: string;
  value: string;
  updated_at: number;
}

/** A pending authorization request between /authorize and the redirect back (10 minutes). */
export interface InteractionsTable {
  tenant_id: string;
  id: string;
  /** Hash of the secret in the browser's per-interaction cookie: only that browser may continue. */
  browser_hash: string;
  client_id: string;
  /** JSON of the validated AuthorizationRequest. */
  request: string;
  user_id: string | null;
  session_id: string | null;
  /** Set after the password step when a second factor is still due. */
  password_verified_at: number | null;
  created_at: number;
  expires_at: number;
}

export interface SessionsTable {
  tenant_id: string;
  /** Public id (`sid` claim); the cookie carries a separate secret stored as token_hash. */
  id: string;
  token_hash: string;
  user_id: string;
  auth_time: number;
  /** JSON array of RFC 8176 methods, e.g. ["pwd","otp"]. */
  amr: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface ConsentsTable {
  tenant_id: string;
  user_id: string;
  client_id: string;
  /** The resource URI, or "" for OpenID-only grants. */
  resource: string;
  /** JSON array of granted scopes. */
  scopes: string;
  created_at: number;
  updated_at: number;
  last_used_at: number;
}

export interface AuthorizationCodesTable {
  tenant_id: string;
  code_hash: string;
  client_id: string;
  user_id: string;
  session_id: string | null;
  redirect_uri: string;
  scope: string;
  resource: string | null;
  code_challenge: string | null;
  nonce: string | null;
  auth_time: number;
  amr: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** The token family the first redemption started: revoked if the code is used again. */
  family_id: string | null;
  /** RFC 9449 §10 `dpop_jkt` of the authorization request: the token request must prove this key (0007_dpop). */
  dpop_jkt: string | null;
}

/** A device authorization (RFC 8628, 0006_device_codes): polled by the device, approved on /device. */
export interface DeviceCodesTable {
  tenant_id: string;
  device_code_hash: string;
  user_code_hash: string;
  client_id: string;
  scope: string;
  resource: string | null;
  status: "pending" | "approved" | "denied";
  /** Seconds the device must wait between polls; grows by 5 on each slow_down. */
  poll_interval: number;
  last_polled_at: number | null;
  user_id: string | null;
  session_id: string | null;
  auth_time: number | null;
  amr: string | null;
  decided_at: number | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  family_id: string | null;
}

/** Everything one grant issued: its refresh tokens rotate inside it; revoking it revokes them all. */
export interface TokenFamiliesTable {
  tenant_id: string;
  id: string;
  client_id: string;
  user_id: string | null;
  session_id: string | null;
  scope: string;
  resource: string | null;
  auth_time: number | null;
  amr: string;
  created_at: number;
  /** Absolute end of the family (refresh token lifetime). */
  expires_at: number;
  last_used_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  /** The DPoP key a public client's refresh tokens are bound to (RFC 9449 §5; 0007_dpop). */
  dpop_jkt: string | null;
}

export interface RefreshTokensTable {
  tenant_id: string;
  token_hash: string;
  family_id: string;
  scope: string;
  created_at: number;
  /** Set when the token was exchanged for its successor; a second use is reuse. */
  spent_at: number | null;
  /** The successor's token response sealed under the master key, kept only during the grace interval. */
  successor_sealed: string | null;
}

export interface AccessTokensTable {
  tenant_id: string;
  jti: string;
  family_id: string | null;
  client_id: string;
  expires_at: number;
  revoked_at: number | null;
}

export interface LoginThrottleTable {
  tenant_id: string;
  /** `email:<normalized email>`: counted for unknown emails too, so lockout reveals nothing. */
  key: string;
  failures: number;
  window_started_at: number;
  locked_until: number | null;
}

/** Single-use JWT ids (client assertions, `dpop:`-prefixed DPoP proof jtis) until they expire. */
export interface UsedJtisTable {
  tenant_id: string;
  key: string;
  expires_at: number;
}

/** A pushed authorization request (RFC 9126) until its request_uri is used, expires, and a day more. */
export interface PushedRequestsTable {
  tenant_id: string;
  /** hashSecret() of the whole request_uri: the URI itself is never stored. */
  request_uri_hash: string;
  /** The client that authenticated at /par: only it may use the request_uri. */
  client_id: string;
  /** The authorization parameters as pushed (form-encoded, client authentication removed). */
  parameters: string;
  created_at: number;
  expires_at: number;
  /** Set by the first /authorize that uses it (compare-and-set): a second use is refused. */
  used_at: number | null;
}

/** A dynamically registered client's RFC 7592 registration access token (hashed) and extra RFC 7591 metadata (JSON). */
export interface ClientRegistrationsTable {
  tenant_id: string;
  client_id: string;
  access_token_hash: string;
  metadata: string;
  created_at: number;
}

/** Initial access tokens (RFC 7591 §3) for registration.policy initial_access_token; uses_left null: unlimited. */
export interface RegistrationTokensTable {
  tenant_id: string;
  id: string;
  token_hash: string;
  description: string | null;
  expires_at: number | null;
  uses_left: number | null;
  uses: number;
  created_at: number;
}

/** Issuers whose JWT assertions the jwt-bearer grant accepts (RFC 7523, ID-JAG; 0008_trust). */
export interface TrustedIssuersTable {
  tenant_id: string;
  id: string;
  issuer: string;
  /** JSON JWKS, or null when jwks_uri is set. */
  jwks: string | null;
  jwks_uri: string | null;
  /** JSON array of client ids allowed to redeem this issuer's assertions. */
  client_ids: string;
  /** JSON array of resource URIs tokens may be issued for. */
  resources: string;
  /** `email`: the assertion's email names a Ward user; `external`: its sub is kept as the token's sub. */
  subject_mapping: "email" | "external";
  created_at: number;
}

export interface Database {
  tenants: TenantsTable;
  signing_keys: SigningKeysTable;
  clients: ClientsTable;
  resources: ResourcesTable;
  users: UsersTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
  interactions: InteractionsTable;
  sessions: SessionsTable;
  consents: ConsentsTable;
  authorization_codes: AuthorizationCodesTable;
  token_families: TokenFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  access_tokens: AccessTokensTable;
  login_throttle: LoginThrottleTable;
  used_jtis: UsedJtisTable;
  pushed_requests: PushedRequestsTable;
  device_codes: DeviceCodesTable;
  client_registrations: ClientRegistrationsTable;
  registration_tokens: RegistrationTokensTable;
  trusted_issuers: TrustedIssuersTable;
}

/** Every table but `tenants`: each has `tenant_id text not null` as the first column of its primary key. */
export const DATA_TABLES = [
  "signing_keys",
  "clients",
  "resources",
  "users",
  "audit_events",
  "settings",
  "interactions",
  "sessions",
  "consents",
  "authorization_codes",
  "token_families",
  "refresh_tokens",
  "access_tokens",
  "login_throttle",
  "used_jtis",
  "pushed_requests",
  "device_codes",
  "client_registrations",
  "registration_tokens",
  "trusted_issuers",
] as const satisfies readonly (keyof Database)[];

/** Every table Ward owns (Kysely's own `kysely_migration*` tables aside). */
export const ALL_TABLES = ["tenants", ...DATA_TABLES] as const satisfies readonly (keyof Database)[];
