import { WardError } from "@ward/core";
import type { Kysely, Selectable, Updateable } from "kysely";
import { guardUnique } from "./errors.js";
import { fromJson, numberOrNull, toJson } from "./json.js";
import { type Page, paged } from "./page.js";
import type { ClientsTable, Database } from "./schema.js";

/** A client as the server uses it: RFC 7591 field names, JSON parsed, booleans real, times in epoch ms. */
export interface ClientRecord {
  client_id: string;
  client_secret_hash: string | null;
  /** 0 or null: the secret never expires. */
  client_secret_expires_at?: number | null;
  client_name: string | null;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: string;
  scope: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwks_uri: string | null;
  application_type: "web" | "native";
  skip_consent: boolean;
  created_at: number;
  updated_at: number;
  secret_rotated_at: number | null;
  /** Lifetimes in seconds overriding the resource's and the global defaults; null: not set. */
  access_token_ttl?: number | null;
  id_token_ttl?: number | null;
  refresh_token_ttl?: number | null;
  /** RFC 9126 §6: /authorize accepts this client's requests only as a request_uri from /par. */
  require_pushed_authorization_requests?: boolean;
  /** RFC 9449 §5.2: every token request must carry a DPoP proof. */
  dpop_bound_access_tokens?: boolean;
}

/** Fields an update may change; `updated_at` defaults to now. */
export type ClientPatch = Partial<Omit<ClientRecord, "client_id" | "created_at">>;

function fromRow(row: Selectable<ClientsTable>): ClientRecord {
  return {
    client_id: row.client_id,
    client_secret_hash: row.client_secret_hash,
    client_secret_expires_at: numberOrNull(row.client_secret_expires_at),
    client_name: row.client_name,
    redirect_uris: fromJson<string[]>(row.redirect_uris) ?? [],
    post_logout_redirect_uris: fromJson<string[]>(row.post_logout_redirect_uris) ?? [],
    grant_types: fromJson<string[]>(row.grant_types) ?? [],
    response_types: fromJson<string[]>(row.response_types) ?? [],
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    scope: row.scope,
    jwks: fromJson(row.jwks),
    jwks_uri: row.jwks_uri,
    application_type: row.application_type,
    skip_consent: Number(row.skip_consent) === 1,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    secret_rotated_at: numberOrNull(row.secret_rotated_at),
    access_token_ttl: numberOrNull(row.access_token_ttl),
    id_token_ttl: numberOrNull(row.id_token_ttl),
    refresh_token_ttl: numberOrNull(row.refresh_token_ttl),
    require_pushed_authorization_requests: Number(row.require_pushed_authorization_requests) === 1,
    dpop_bound_access_tokens: Number(row.dpop_bound_access_tokens) === 1,
  };
}

/** Column values for the fields present in `patch` (an explicit list: stray properties never reach SQL). */
function toColumns(patch: ClientPatch): Updateable<ClientsTable> {
  const columns: Updateable<ClientsTable> = {};
  if (patch.client_secret_hash !== undefined) columns.client_secret_hash = patch.client_secret_hash;
  if (patch.client_secret_expires_at !== undefined) columns.client_secret_expires_at = patch.client_secret_expires_at;
  if (patch.client_name !== undefined) columns.client_name = patch.client_name;
  if (patch.redirect_uris !== undefined) columns.redirect_uris = toJson(patch.redirect_uris);
  if (patch.post_logout_redirect_uris !== undefined) columns.post_logout_redirect_uris = toJson(patch.post_logout_redirect_uris);
  if (patch.grant_types !== undefined) columns.grant_types = toJson(patch.grant_types);
  if (patch.response_types !== undefined) columns.response_types = toJson(patch.response_types);
  if (patch.token_endpoint_auth_method !== undefined) columns.token_endpoint_auth_method = patch.token_endpoint_auth_method;
  if (patch.scope !== undefined) columns.scope = patch.scope;
  if (patch.jwks !== undefined) columns.jwks = patch.jwks === null ? null : toJson(patch.jwks);
  if (patch.jwks_uri !== undefined) columns.jwks_uri = patch.jwks_uri;
  if (patch.application_type !== undefined) columns.application_type = patch.application_type;
  if (patch.skip_consent !== undefined) columns.skip_consent = patch.skip_consent ? 1 : 0;
  if (patch.updated_at !== undefined) columns.updated_at = patch.updated_at;
  if (patch.secret_rotated_at !== undefined) columns.secret_rotated_at = patch.secret_rotated_at;
  if (patch.access_token_ttl !== undefined) columns.access_token_ttl = patch.access_token_ttl;
  if (patch.id_token_ttl !== undefined) columns.id_token_ttl = patch.id_token_ttl;
  if (patch.refresh_token_ttl !== undefined) columns.refresh_token_ttl = patch.refresh_token_ttl;
  if (patch.require_pushed_authorization_requests !== undefined)
    columns.require_pushed_authorization_requests = patch.require_pushed_authorization_requests ? 1 : 0;
  if (patch.dpop_bound_access_tokens !== undefined) columns.dpop_bound_access_tokens = patch.dpop_bound_access_tokens ? 1 : 0;
  return columns;
}

/** Stores a new client; a taken client_id is `client_id_taken` and writes nothing. */
export async function insertClient(db: Kysely<Database>, tenantId: string, client: ClientRecord): Promise<void> {
  await guardUnique(
    db,
    () =>
      db
        .insertInto("clients")
        .values({
          tenant_id: tenantId,
          client_id: client.client_id,
          client_secret_hash: client.client_secret_hash,
          client_secret_expires_at: client.client_secret_expires_at ?? null,
          client_name: client.client_name,
          redirect_uris: toJson(client.redirect_uris),
          post_logout_redirect_uris: toJson(client.post_logout_redirect_uris),
          grant_types: toJson(client.grant_types),
          response_types: toJson(client.response_types),
          token_endpoint_auth_method: client.token_endpoint_auth_method,
          scope: client.scope,
          jwks: client.jwks === null ? null : toJson(client.jwks),
          jwks_uri: client.jwks_uri,
          application_type: client.application_type,
          skip_consent: client.skip_consent ? 1 : 0,
          created_at: client.created_at,
          updated_at: client.updated_at,
          secret_rotated_at: client.secret_rotated_at,
          access_token_ttl: client.access_token_ttl ?? null,
          id_token_ttl: client.id_token_ttl ?? null,
          refresh_token_ttl: client.refresh_token_ttl ?? null,
          require_pushed_authorization_requests: client.require_pushed_authorization_requests ? 1 : 0,
          dpop_bound_access_tokens: client.dpop_bound_access_tokens ? 1 : 0,
        })
        .execute(),
    () => new WardError("client_id_taken", { client_id: client.client_id }),
  );
}

export async function getClient(db: Kysely<Database>, tenantId: string, clientId: string): Promise<ClientRecord | undefined> {
  const row = await db
    .selectFrom("clients")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("client_id", "=", clientId)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Clients in creation order (then client_id); every client unless a page is given. */
export async function listClients(db: Kysely<Database>, tenantId: string, page: Page = {}): Promise<ClientRecord[]> {
  const query = db.selectFrom("clients").selectAll().where("tenant_id", "=", tenantId).orderBy("created_at").orderBy("client_id");
  return (await paged(query, page).execute()).map(fromRow);
}

/** Changes the given fields (and `updated_at`, now unless given); the updated client, or undefined when there is none. */
export async function updateClient(
  db: Kysely<Database>,
  tenantId: string,
  clientId: string,
  patch: ClientPatch,
): Promise<ClientRecord | undefined> {
  const columns = toColumns({ ...patch, updated_at: patch.updated_at ?? Date.now() });
  await db.updateTable("clients").set(columns).where("tenant_id", "=", tenantId).where("client_id", "=", clientId).execute();
  return getClient(db, tenantId, clientId);
}

/** Replaces (or with null removes) the secret hash and stamps the rotation; false when the client does not exist. */
export async function setClientSecretHash(
  db: Kysely<Database>,
  tenantId: string,
  clientId: string,
  secretHash: string | null,
  options: { expiresAt?: number | null; now?: number } = {},
): Promise<boolean> {
  const now = options.now ?? Date.now();
  const result = await db
    .updateTable("clients")
    .set({
      client_secret_hash: secretHash,
      client_secret_expires_at: options.expiresAt ?? null,
      secret_rotated_at: secretHash === null ? null : now,
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("client_id", "=", clientId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** True when a client was deleted. */
export async function deleteClient(db: Kysely<Database>, tenantId: string, clientId: string): Promise<boolean> {
  const result = await db.deleteFrom("clients").where("tenant_id", "=", tenantId).where("client_id", "=", clientId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
