import type { Kysely } from "kysely";
import { fromJson, numberOrNull, toJson } from "./json.js";
import { sql } from "./kysely.js";
import type { Database } from "./schema.js";

/** The RFC 7592 side of a dynamically registered client. */
export interface ClientRegistration {
  client_id: string;
  access_token_hash: string;
  /** RFC 7591 metadata Ward stores but does not act on (client_uri, logo_uri, contacts, …); never fetched. */
  metadata: Record<string, unknown>;
  created_at: number;
}

export async function insertRegistration(db: Kysely<Database>, tenantId: string, registration: ClientRegistration): Promise<void> {
  await db
    .insertInto("client_registrations")
    .values({
      tenant_id: tenantId,
      client_id: registration.client_id,
      access_token_hash: registration.access_token_hash,
      metadata: toJson(registration.metadata),
      created_at: registration.created_at,
    })
    .execute();
}

export async function getRegistration(db: Kysely<Database>, tenantId: string, clientId: string): Promise<ClientRegistration | undefined> {
  const row = await db
    .selectFrom("client_registrations")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("client_id", "=", clientId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    client_id: row.client_id,
    access_token_hash: row.access_token_hash,
    metadata: fromJson<Record<string, unknown>>(row.metadata) ?? {},
    created_at: Number(row.created_at),
  };
}

export async function updateRegistrationMetadata(
  db: Kysely<Database>,
  tenantId: string,
  clientId: string,
  metadata: Record<string, unknown>,
): Promise<void> {
  await db
    .updateTable("client_registrations")
    .set({ metadata: toJson(metadata) })
    .where("tenant_id", "=", tenantId)
    .where("client_id", "=", clientId)
    .execute();
}

export async function deleteRegistration(db: Kysely<Database>, tenantId: string, clientId: string): Promise<void> {
  await db.deleteFrom("client_registrations").where("tenant_id", "=", tenantId).where("client_id", "=", clientId).execute();
}

/** An initial access token as listed (never its hash). */
export interface RegistrationToken {
  id: string;
  description: string | null;
  expires_at: number | null;
  uses_left: number | null;
  uses: number;
  created_at: number;
}

export async function insertRegistrationToken(
  db: Kysely<Database>,
  tenantId: string,
  token: RegistrationToken & { token_hash: string },
): Promise<void> {
  await db
    .insertInto("registration_tokens")
    .values({ tenant_id: tenantId, ...token })
    .execute();
}

const TOKEN_COLUMNS = ["id", "description", "expires_at", "uses_left", "uses", "created_at"] as const;

/** Numbers on both engines (bigint columns may arrive as strings). */
function fromTokenRow(row: RegistrationToken): RegistrationToken {
  return {
    id: row.id,
    description: row.description,
    expires_at: numberOrNull(row.expires_at),
    uses_left: numberOrNull(row.uses_left),
    uses: Number(row.uses),
    created_at: Number(row.created_at),
  };
}

export async function listRegistrationTokens(db: Kysely<Database>, tenantId: string): Promise<RegistrationToken[]> {
  const rows = await db
    .selectFrom("registration_tokens")
    .select(TOKEN_COLUMNS)
    .where("tenant_id", "=", tenantId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(fromTokenRow);
}

export async function deleteRegistrationToken(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom("registration_tokens").where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The token with this hash, whatever its state (to say why it is refused). */
export async function findRegistrationToken(
  db: Kysely<Database>,
  tenantId: string,
  tokenHash: string,
): Promise<RegistrationToken | undefined> {
  const row = await db
    .selectFrom("registration_tokens")
    .select(TOKEN_COLUMNS)
    .where("tenant_id", "=", tenantId)
    .where("token_hash", "=", tokenHash)
    .executeTakeFirst();
  return row ? fromTokenRow(row) : undefined;
}

/** Spends one use of the token atomically; false when it is unknown, expired or used up (concurrent spends cannot overdraw it). */
export async function spendRegistrationToken(db: Kysely<Database>, tenantId: string, tokenHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("registration_tokens")
    .set({
      uses: sql<number>`uses + 1`,
      uses_left: sql<number | null>`case when uses_left is null then null else uses_left - 1 end`,
    })
    .where("tenant_id", "=", tenantId)
    .where("token_hash", "=", tokenHash)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .where((eb) => eb.or([eb("uses_left", "is", null), eb("uses_left", ">", 0)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
