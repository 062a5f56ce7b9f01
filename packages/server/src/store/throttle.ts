import type { Kysely } from "kysely";
import { numberOrNull } from "./json.js";
import { sql } from "./kysely.js";
import type { Database } from "./schema.js";

/**
 * Counts one attempt on `key` atomically (one upsert: concurrent attempts each get their own
 * number) and returns the count in the current window and any lock. The window restarts when it is
 * older than `windowMs` and no lock is running. Never clears a lock.
 */
export async function recordAttempt(
  db: Kysely<Database>,
  tenantId: string,
  key: string,
  now: number,
  windowMs: number,
): Promise<{ attempts: number; locked_until: number | null }> {
  const restart = sql<boolean>`(login_throttle.window_started_at < ${now - windowMs} and (login_throttle.locked_until is null or login_throttle.locked_until <= ${now}))`;
  const row = await db
    .insertInto("login_throttle")
    .values({ tenant_id: tenantId, key, failures: 1, window_started_at: now, locked_until: null })
    .onConflict((oc) =>
      oc.columns(["tenant_id", "key"]).doUpdateSet({
        failures: sql<number>`case when ${restart} then 1 else login_throttle.failures + 1 end`,
        window_started_at: sql<number>`case when ${restart} then cast(${now} as bigint) else login_throttle.window_started_at end`,
      }),
    )
    .returning(["failures", "locked_until"])
    .executeTakeFirstOrThrow();
  return { attempts: Number(row.failures), locked_until: numberOrNull(row.locked_until) };
}

/** Locks `key` until `until`, unless a longer lock is already running. */
export async function lockThrottle(db: Kysely<Database>, tenantId: string, key: string, until: number): Promise<void> {
  await db
    .updateTable("login_throttle")
    .set({ locked_until: until })
    .where("tenant_id", "=", tenantId)
    .where("key", "=", key)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<", until)]))
    .execute();
}

export async function getLock(db: Kysely<Database>, tenantId: string, key: string): Promise<number | null> {
  const row = await db
    .selectFrom("login_throttle")
    .select("locked_until")
    .where("tenant_id", "=", tenantId)
    .where("key", "=", key)
    .executeTakeFirst();
  return row ? numberOrNull(row.locked_until) : null;
}

export async function clearThrottle(db: Kysely<Database>, tenantId: string, key: string): Promise<void> {
  await db.deleteFrom("login_throttle").where("tenant_id", "=", tenantId).where("key", "=", key).execute();
}
