import type { Kysely, Selectable } from "kysely";
import { numberOrNull } from "./json.js";
import type { Database, PushedRequestsTable } from "./schema.js";

/** A pushed request as stored, without its tenant (see PushedRequestsTable for each column). */
export type PushedRequestRecord = Omit<PushedRequestsTable, "tenant_id">;

function fromRow(row: Selectable<PushedRequestsTable>): PushedRequestRecord {
  return {
    request_uri_hash: row.request_uri_hash,
    client_id: row.client_id,
    parameters: row.parameters,
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    used_at: numberOrNull(row.used_at),
  };
}

export async function insertPushedRequest(db: Kysely<Database>, tenantId: string, record: PushedRequestRecord): Promise<void> {
  await db
    .insertInto("pushed_requests")
    .values({ tenant_id: tenantId, ...record })
    .execute();
}

export async function getPushedRequest(
  db: Kysely<Database>,
  tenantId: string,
  requestUriHash: string,
): Promise<PushedRequestRecord | undefined> {
  const row = await db
    .selectFrom("pushed_requests")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("request_uri_hash", "=", requestUriHash)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Marks the pushed request used if nobody did before (compare-and-set): of two concurrent uses exactly one gets true. */
export async function claimPushedRequest(db: Kysely<Database>, tenantId: string, requestUriHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("pushed_requests")
    .set({ used_at: now })
    .where("tenant_id", "=", tenantId)
    .where("request_uri_hash", "=", requestUriHash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes pushed requests that expired before `before` (used ones are kept until then to say "already used"). */
export async function deleteExpiredPushedRequests(db: Kysely<Database>, tenantId: string, before: number): Promise<void> {
  await db.deleteFrom("pushed_requests").where("tenant_id", "=", tenantId).where("expires_at", "<", before).execute();
}
