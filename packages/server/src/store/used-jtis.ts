import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * Records a single-use identifier until it expires; false when it was already recorded (a replay).
 * Atomic through the primary key, so two instances cannot both accept the same jti.
 */
export async function claimJti(db: Kysely<Database>, tenantId: string, key: string, expiresAt: number, now: number): Promise<boolean> {
  await db.deleteFrom("used_jtis").where("tenant_id", "=", tenantId).where("key", "=", key).where("expires_at", "<", now).execute();
  const result = await db
    .insertInto("used_jtis")
    .values({ tenant_id: tenantId, key, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(["tenant_id", "key"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function deleteExpiredJtis(db: Kysely<Database>, tenantId: string, now: number): Promise<void> {
  await db.deleteFrom("used_jtis").where("tenant_id", "=", tenantId).where("expires_at", "<", now).execute();
}
