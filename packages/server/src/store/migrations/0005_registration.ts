import type { Kysely } from "kysely";

/**
 * Dynamic client registration: the registration access token and extra RFC 7591 metadata of each
 * dynamically registered client, and the initial access tokens administrators issue.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("client_registrations")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("access_token_hash", "text", (c) => c.notNull())
    .addColumn("metadata", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("client_registrations_pk", ["tenant_id", "client_id"])
    .execute();

  await db.schema
    .createTable("registration_tokens")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("expires_at", "bigint")
    .addColumn("uses_left", "integer")
    .addColumn("uses", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("registration_tokens_pk", ["tenant_id", "id"])
    .addUniqueConstraint("registration_tokens_hash_unique", ["tenant_id", "token_hash"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("registration_tokens").execute();
  await db.schema.dropTable("client_registrations").execute();
}
