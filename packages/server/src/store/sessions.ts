import type { Kysely, Selectable } from "kysely";
import { toJson } from "./json.js";
import type { Database, SessionsTable } from "./schema.js";

export interface SessionRecord {
  id: string;
  token_hash: string;
  user_id: string;
  auth_time: number;
  amr: string[];
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

function fromRow(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    token_hash: row.token_hash,
    user_id: row.user_id,
    auth_time: Number(row.auth_time),
    amr: JSON.parse(row.amr) as string[],
    created_at: Number(row.created_at),
    last_seen_at: Number(row.last_seen_at),
    expires_at: Number(row.expires_at),
  };
}

export async function insertSession(db: Kysely<Database>, tenantId: string, session: SessionRecord): Promise<void> {
  await db
    .insertInto("sessions")
    .values({ tenant_id: tenantId, ...session, amr: toJson(session.amr) })
    .execute();
}

export async function getSessionByTokenHash(db: Kysely<Database>, tenantId: string, tokenHash: string): Promise<SessionRecord | undefined> {
  const row = await db
    .selectFrom("sessions")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("token_hash", "=", tokenHash)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function touchSession(db: Kysely<Database>, tenantId: string, id: string, now: number): Promise<void> {
  await db.updateTable("sessions").set({ last_seen_at: now }).where("tenant_id", "=", tenantId).where("id", "=", id).execute();
}

export async function deleteSession(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom("sessions").where("tenant_id", "=", tenantId).where("id", "=", id).execute();
}

/** Signs the user out everywhere; the number of sessions ended. */
export async function deleteUserSessions(db: Kysely<Database>, tenantId: string, userId: string): Promise<number> {
  const result = await db.deleteFrom("sessions").where("tenant_id", "=", tenantId).where("user_id", "=", userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countUserSessions(db: Kysely<Database>, tenantId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom("sessions")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function getSession(db: Kysely<Database>, tenantId: string, id: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom("sessions").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}
