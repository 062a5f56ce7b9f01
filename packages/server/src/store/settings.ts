import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** A small per-tenant value (e.g. `master_key_fingerprint`), or undefined when unset. */
export async function getSetting(db: Kysely<Database>, tenantId: string, key: string): Promise<string | undefined> {
  const row = await db.selectFrom("settings").select("value").where("tenant_id", "=", tenantId).where("key", "=", key).executeTakeFirst();
  return row?.value;
}

/** Inserts or replaces a setting in one statement (`on conflict … do update`, on both engines). */
export async function setSetting(db: Kysely<Database>, tenantId: string, key: string, value: string): Promise<void> {
  const updated_at = Date.now();
  await db
    .insertInto("settings")
    .values({ tenant_id: tenantId, key, value, updated_at })
    .onConflict((oc) => oc.columns(["tenant_id", "key"]).doUpdateSet({ value, updated_at }))
    .execute();
}
