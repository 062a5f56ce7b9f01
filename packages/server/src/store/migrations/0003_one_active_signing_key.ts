import type { Kysely } from "kysely";
import { sql } from "../kysely.js";

/**
 * At most one `active` and one `next` key per tenant, enforced by the database: two instances
 * booting at once on an empty PostgreSQL database cannot both create keys (the loser reloads).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex("signing_keys_one_per_live_state")
    .unique()
    .on("signing_keys")
    .columns(["tenant_id", "state"])
    .where(sql.ref("state"), "in", ["active", "next"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("signing_keys_one_per_live_state").execute();
}
