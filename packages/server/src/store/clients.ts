import { WardError } from "@ward/core";
import type { Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./errors.js";
import { fromJson, toJson } from "./json.js";
import type { ClientsTable, Database } from "./schema.js";

/** A client as the server uses it: RFC 7591 field names, JSON parsed, booleans real. */
export interface ClientRecord {
  client_id: string;
  client_secret_hash: string | null;
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
}

export type ClientPatch = Partial<Omit<ClientRecord, "client_id" | "created_at">>;

function fromRow(row: Selectable<ClientsTable>): ClientRecord {
  return {
    client_id: row.client_id,
    client_secret_hash: row.client_secret_hash,
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
    secret_rotated_at: row.secret_rotated_at === null ? null : Number(row.secret_rotated_at),
  };
}

function toColumns(patch: ClientPatch): Partial<ClientsTable> {
  const columns: Partial<ClientsTable> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (["redirect_uris", "post_logout_redirect_uris", "grant_types", "response_types"].includes(key)) {
      (columns as Record<string, unknown>)[key] = toJson(value);
    } else if (key === "jwks") columns.jwks = value === null ? null : toJson(value);
    else if (key === "skip_consent") columns.skip_consent = value ? 1 : 0;
    else (columns as Record<string, unknown>)[key] = value;
  }
  return columns;
}

export async function insertClient(db: Kysely<Database>, tenantId: string, client: ClientRecord): Promise<void> {
  try {
    await db
      .insertInto("clients")
      .values({ ...(toColumns(client) as ClientsTable), client_id: client.client_id, created_at: client.created_at, tenant_id: tenantId })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new WardError("client_id_taken", { client_id: client.client_id });
    throw error;
  }
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

export async function listClients(
  db: Kysely<Database>,
  tenantId: string,
  page: { limit?: number; offset?: number } = {},
): Promise<ClientRecord[]> {
  const rows = await db
    .selectFrom("clients")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("created_at")
    .orderBy("client_id")
    .limit(page.limit ?? 1000)
    .offset(page.offset ?? 0)
    .execute();
  return rows.map(fromRow);
}

export async function updateClient(
  db: Kysely<Database>,
  tenantId: string,
  clientId: string,
  patch: ClientPatch,
): Promise<ClientRecord | undefined> {
  const columns = toColumns(patch);
  if (Object.keys(columns).length > 0) {
    await db.updateTable("clients").set(columns).where("tenant_id", "=", tenantId).where("client_id", "=", clientId).execute();
  }
  return getClient(db, tenantId, clientId);
}

export async function deleteClient(db: Kysely<Database>, tenantId: string, clientId: string): Promise<boolean> {
  const result = await db.deleteFrom("clients").where("tenant_id", "=", tenantId).where("client_id", "=", clientId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
