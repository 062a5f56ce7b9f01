import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export async function getSetting(db: Kysely<Database>, tenantId: string, key: string): Promise<string | undefined> {
  const row = await db.selectFrom("settings").select("value").where("tenant_id", "=", tenantId).where("key", "=", key).executeTakeFirst();
  return row?.value;
}

/** Inserts or replaces a setting (same statement on SQLite and PostgreSQL). */
export async function setSetting(db: Kysely<Database>, tenantId: string, key: string, value: string): Promise<void> {
  const updated_at = Date.now();
  await db
    .insertInto("settings")
    .values({ tenant_id: tenantId, key, value, updated_at })
    .onConflict((oc) => oc.columns(["tenant_id", "key"]).doUpdateSet({ value, updated_at }))
    .execute();
}
