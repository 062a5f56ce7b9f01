import type { Kysely, Selectable } from "kysely";
import { numberOrNull, toJson } from "./json.js";
import type { Database, InteractionsTable } from "./schema.js";

export interface InteractionRecord<Request> {
  id: string;
  browser_hash: string;
  client_id: string;
  request: Request;
  user_id: string | null;
  session_id: string | null;
  password_verified_at: number | null;
  created_at: number;
  expires_at: number;
}

function fromRow<Request>(row: Selectable<InteractionsTable>): InteractionRecord<Request> {
  return {
    id: row.id,
    browser_hash: row.browser_hash,
    client_id: row.client_id,
    request: JSON.parse(row.request) as Request,
    user_id: row.user_id,
    session_id: row.session_id,
    password_verified_at: numberOrNull(row.password_verified_at),
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
  };
}

export async function insertInteraction<Request>(
  db: Kysely<Database>,
  tenantId: string,
  record: InteractionRecord<Request>,
): Promise<void> {
  await db
    .insertInto("interactions")
    .values({ tenant_id: tenantId, ...record, request: toJson(record.request) })
    .execute();
}

export async function getInteraction<Request>(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<InteractionRecord<Request> | undefined> {
  const row = await db.selectFrom("interactions").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return row ? fromRow<Request>(row) : undefined;
}

export async function updateInteraction(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  patch: Partial<Pick<InteractionsTable, "user_id" | "session_id" | "password_verified_at">>,
): Promise<void> {
  await db.updateTable("interactions").set(patch).where("tenant_id", "=", tenantId).where("id", "=", id).execute();
}

/** True when this call removed it: of two concurrent completions only one wins. */
export async function deleteInteraction(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom("interactions").where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
