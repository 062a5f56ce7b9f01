import type { Kysely } from "kysely";

/**
 * Token exchange and JWT bearer trust: which clients may exchange tokens for a resource and which one
 * client may act for tokens issued for it (resources), and the issuers whose assertions the
 * jwt-bearer grant accepts (trusted_issuers).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("resources").addColumn("token_exchange_clients", "text").execute();
  await db.schema.alterTable("resources").addColumn("may_act", "text").execute();

  await db.schema
    .createTable("trusted_issuers")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("issuer", "text", (c) => c.notNull())
    .addColumn("jwks", "text")
    .addColumn("jwks_uri", "text")
    .addColumn("client_ids", "text", (c) => c.notNull())
    .addColumn("resources", "text", (c) => c.notNull())
    .addColumn("subject_mapping", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("trusted_issuers_pk", ["tenant_id", "id"])
    .addUniqueConstraint("trusted_issuers_issuer_unique", ["tenant_id", "issuer"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("trusted_issuers").execute();
  await db.schema.alterTable("resources").dropColumn("may_act").execute();
  await db.schema.alterTable("resources").dropColumn("token_exchange_clients").execute();
}
