import type { Kysely } from "kysely";

/**
 * Pushed authorization requests (RFC 9126): the parameters a client pushed to /par until its
 * request_uri is used at /authorize, and the per-client require_pushed_authorization_requests flag.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("pushed_requests")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("request_uri_hash", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("parameters", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .addPrimaryKeyConstraint("pushed_requests_pk", ["tenant_id", "request_uri_hash"])
    .execute();
  await db.schema
    .alterTable("clients")
    .addColumn("require_pushed_authorization_requests", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("clients").dropColumn("require_pushed_authorization_requests").execute();
  await db.schema.dropTable("pushed_requests").execute();
}
