import type { Kysely, Selectable } from "kysely";
import { toJson } from "./json.js";
import type { ConsentsTable, Database } from "./schema.js";

export interface ConsentRecord {
  user_id: string;
  client_id: string;
  /** The resource URI, or "" for OpenID-only grants. */
  resource: string;
  scopes: string[];
  created_at: number;
  updated_at: number;
  last_used_at: number;
}

function fromRow(row: Selectable<ConsentsTable>): ConsentRecord {
  return {
    user_id: row.user_id,
    client_id: row.client_id,
    resource: row.resource,
    scopes: JSON.parse(row.scopes) as string[],
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    last_used_at: Number(row.last_used_at),
  };
}

export async function getConsent(
  db: Kysely<Database>,
  tenantId: string,
  key: { user_id: string; client_id: string; resource: string },
): Promise<ConsentRecord | undefined> {
  const row = await db
    .selectFrom("consents")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", key.user_id)
    .where("client_id", "=", key.client_id)
    .where("resource", "=", key.resource)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/**
 * Remembers the granted scopes, adding to what was granted before (one row per user + client +
 * resource). The insert does nothing on conflict, so two concurrent consents never fail.
 */
export async function saveConsent(db: Kysely<Database>, tenantId: string, consent: ConsentRecord): Promise<void> {
  const inserted = await db
    .insertInto("consents")
    .values({ tenant_id: tenantId, ...consent, scopes: toJson(consent.scopes) })
    .onConflict((oc) => oc.columns(["tenant_id", "user_id", "client_id", "resource"]).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return;
  const existing = await getConsent(db, tenantId, consent);
  if (!existing) return;
  const scopes = [...new Set([...existing.scopes, ...consent.scopes])];
  await db
    .updateTable("consents")
    .set({ scopes: toJson(scopes), updated_at: consent.updated_at, last_used_at: consent.last_used_at })
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", consent.user_id)
    .where("client_id", "=", consent.client_id)
    .where("resource", "=", consent.resource)
    .execute();
}

export async function touchConsent(
  db: Kysely<Database>,
  tenantId: string,
  key: { user_id: string; client_id: string; resource: string },
  now: number,
): Promise<void> {
  await db
    .updateTable("consents")
    .set({ last_used_at: now })
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", key.user_id)
    .where("client_id", "=", key.client_id)
    .where("resource", "=", key.resource)
    .execute();
}

export async function listUserConsents(db: Kysely<Database>, tenantId: string, userId: string): Promise<ConsentRecord[]> {
  const rows = await db
    .selectFrom("consents")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .orderBy("client_id")
    .orderBy("resource")
    .execute();
  return rows.map(fromRow);
}

/** Forgets every consent of the user for the client; the number removed. */
export async function deleteConsents(db: Kysely<Database>, tenantId: string, userId: string, clientId: string): Promise<number> {
  const result = await db
    .deleteFrom("consents")
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .where("client_id", "=", clientId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
