import type { Kysely } from "kysely";

/**
 * DPoP (RFC 9449): the key a code is bound to by `dpop_jkt` on /authorize (§10), the key a public
 * client's refresh tokens are bound to (on the family, §5), the client metadata
 * `dpop_bound_access_tokens` (§5.2) and a resource's "DPoP required" flag.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("authorization_codes").addColumn("dpop_jkt", "text").execute();
  await db.schema.alterTable("token_families").addColumn("dpop_jkt", "text").execute();
  await db.schema
    .alterTable("clients")
    .addColumn("dpop_bound_access_tokens", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("resources")
    .addColumn("dpop_required", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("resources").dropColumn("dpop_required").execute();
  await db.schema.alterTable("clients").dropColumn("dpop_bound_access_tokens").execute();
  await db.schema.alterTable("token_families").dropColumn("dpop_jkt").execute();
  await db.schema.alterTable("authorization_codes").dropColumn("dpop_jkt").execute();
}
