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
}

export interface ResourcesTable {
  tenant_id: string;
  id: string;
  uri: string;
  scopes: string;
  access_token_ttl: number;
  created_at: number;
  updated_at: number;
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

export interface Database {
  tenants: TenantsTable;
  signing_keys: SigningKeysTable;
  clients: ClientsTable;
  resources: ResourcesTable;
  users: UsersTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
}

/** Every table but `tenants`: each has `tenant_id text not null` as the first column of its primary key. */
export const DATA_TABLES = [
  "signing_keys",
  "clients",
  "resources",
  "users",
  "audit_events",
  "settings",
] as const satisfies readonly (keyof Database)[];

/** Every table Ward owns (Kysely's own `kysely_migration*` tables aside). */
export const ALL_TABLES = ["tenants", ...DATA_TABLES] as const satisfies readonly (keyof Database)[];
