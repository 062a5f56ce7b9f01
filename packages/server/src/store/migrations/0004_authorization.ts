import type { Kysely } from "kysely";

/**
 * The authorization code flow: browser sessions, pending authorization requests (interactions),
 * remembered consents, codes, token families, refresh and access tokens, login throttling,
 * single-use JWT ids, TOTP columns on users, per-client token lifetimes and the clients a resource
 * lets introspect its tokens.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("interactions")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("browser_hash", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("request", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("session_id", "text")
    .addColumn("password_verified_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("interactions_pk", ["tenant_id", "id"])
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("auth_time", "bigint", (c) => c.notNull())
    .addColumn("amr", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_seen_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("sessions_pk", ["tenant_id", "id"])
    .addUniqueConstraint("sessions_token_unique", ["tenant_id", "token_hash"])
    .execute();

  await db.schema
    .createTable("consents")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("resource", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("consents_pk", ["tenant_id", "user_id", "client_id", "resource"])
    .execute();

  await db.schema
    .createTable("authorization_codes")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("code_hash", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("session_id", "text")
    .addColumn("redirect_uri", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("resource", "text")
    .addColumn("code_challenge", "text")
    .addColumn("nonce", "text")
    .addColumn("auth_time", "bigint", (c) => c.notNull())
    .addColumn("amr", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .addColumn("family_id", "text")
    .addPrimaryKeyConstraint("authorization_codes_pk", ["tenant_id", "code_hash"])
    .execute();

  await db.schema
    .createTable("token_families")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("session_id", "text")
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("resource", "text")
    .addColumn("auth_time", "bigint")
    .addColumn("amr", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .addColumn("revoked_reason", "text")
    .addPrimaryKeyConstraint("token_families_pk", ["tenant_id", "id"])
    .execute();
  await db.schema.createIndex("token_families_by_user").on("token_families").columns(["tenant_id", "user_id", "client_id"]).execute();

  await db.schema
    .createTable("refresh_tokens")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("token_hash", "text", (c) => c.notNull())
    .addColumn("family_id", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("spent_at", "bigint")
    .addColumn("successor_sealed", "text")
    .addPrimaryKeyConstraint("refresh_tokens_pk", ["tenant_id", "token_hash"])
    .execute();
  await db.schema.createIndex("refresh_tokens_by_family").on("refresh_tokens").columns(["tenant_id", "family_id"]).execute();

  await db.schema
    .createTable("access_tokens")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("jti", "text", (c) => c.notNull())
    .addColumn("family_id", "text")
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .addPrimaryKeyConstraint("access_tokens_pk", ["tenant_id", "jti"])
    .execute();
  await db.schema.createIndex("access_tokens_by_family").on("access_tokens").columns(["tenant_id", "family_id"]).execute();

  await db.schema
    .createTable("login_throttle")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("window_started_at", "bigint", (c) => c.notNull())
    .addColumn("locked_until", "bigint")
    .addPrimaryKeyConstraint("login_throttle_pk", ["tenant_id", "key"])
    .execute();

  await db.schema
    .createTable("used_jtis")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("used_jtis_pk", ["tenant_id", "key"])
    .execute();

  await db.schema.alterTable("users").addColumn("totp_secret_encrypted", "text").execute();
  await db.schema.alterTable("users").addColumn("totp_confirmed_at", "bigint").execute();
  await db.schema.alterTable("users").addColumn("totp_last_step", "bigint").execute();
  await db.schema.alterTable("users").addColumn("recovery_codes", "text").execute();

  await db.schema.alterTable("resources").addColumn("introspection_clients", "text").execute();

  await db.schema.alterTable("clients").addColumn("access_token_ttl", "integer").execute();
  await db.schema.alterTable("clients").addColumn("id_token_ttl", "integer").execute();
  await db.schema.alterTable("clients").addColumn("refresh_token_ttl", "integer").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ["access_token_ttl", "id_token_ttl", "refresh_token_ttl"]) {
    await db.schema.alterTable("clients").dropColumn(column).execute();
  }
  await db.schema.alterTable("resources").dropColumn("introspection_clients").execute();
  for (const column of ["totp_secret_encrypted", "totp_confirmed_at", "totp_last_step", "recovery_codes"]) {
    await db.schema.alterTable("users").dropColumn(column).execute();
  }
  for (const table of [
    "used_jtis",
    "login_throttle",
    "access_tokens",
    "refresh_tokens",
    "token_families",
    "authorization_codes",
    "consents",
    "sessions",
    "interactions",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
