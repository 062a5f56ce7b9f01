import type { Kysely } from "kysely";

/** The device authorization grant (RFC 8628): device codes, their user codes and the user's decision. */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("device_codes")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("device_code_hash", "text", (c) => c.notNull())
    .addColumn("user_code_hash", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("resource", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("poll_interval", "integer", (c) => c.notNull())
    .addColumn("last_polled_at", "bigint")
    .addColumn("user_id", "text")
    .addColumn("session_id", "text")
    .addColumn("auth_time", "bigint")
    .addColumn("amr", "text")
    .addColumn("decided_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .addColumn("family_id", "text")
    .addPrimaryKeyConstraint("device_codes_pk", ["tenant_id", "device_code_hash"])
    .addUniqueConstraint("device_codes_user_code_unique", ["tenant_id", "user_code_hash"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("device_codes").execute();
}
