import type { Kysely } from "kysely";

/** RFC 7591 `client_secret_expires_at` (epoch ms here; 0 or null: never). */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("clients").addColumn("client_secret_expires_at", "bigint").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("clients").dropColumn("client_secret_expires_at").execute();
}
