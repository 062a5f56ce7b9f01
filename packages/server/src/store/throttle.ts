import type { Kysely } from "kysely";
import { numberOrNull } from "./json.js";
import type { Database } from "./schema.js";

export interface ThrottleState {
  failures: number;
  window_started_at: number;
  locked_until: number | null;
}

export async function getThrottle(db: Kysely<Database>, tenantId: string, key: string): Promise<ThrottleState | undefined> {
  const row = await db
    .selectFrom("login_throttle")
    .select(["failures", "window_started_at", "locked_until"])
    .where("tenant_id", "=", tenantId)
    .where("key", "=", key)
    .executeTakeFirst();
  return row
    ? { failures: Number(row.failures), window_started_at: Number(row.window_started_at), locked_until: numberOrNull(row.locked_until) }
    : undefined;
}

export async function saveThrottle(db: Kysely<Database>, tenantId: string, key: string, state: ThrottleState): Promise<void> {
  await db
    .insertInto("login_throttle")
    .values({ tenant_id: tenantId, key, ...state })
    .onConflict((oc) => oc.columns(["tenant_id", "key"]).doUpdateSet(state))
    .execute();
}

export async function clearThrottle(db: Kysely<Database>, tenantId: string, key: string): Promise<void> {
  await db.deleteFrom("login_throttle").where("tenant_id", "=", tenantId).where("key", "=", key).execute();
}
