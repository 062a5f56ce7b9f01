import type { Kysely } from "kysely";
import { sql } from "../kysely.js";
import { DEFAULT_TENANT } from "../schema.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("tenants")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.insertInto("tenants").values({ id: DEFAULT_TENANT, name: "Default", created_at: sql`0` }).execute();

  await db.schema
    .createTable("signing_keys")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("kid", "text", (c) => c.notNull())
    .addColumn("alg", "text", (c) => c.notNull())
    .addColumn("public_jwk", "text", (c) => c.notNull())
    .addColumn("private_jwk_encrypted", "text")
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("activated_at", "bigint")
    .addColumn("retired_at", "bigint")
    .addColumn("publish_until", "bigint")
    .addPrimaryKeyConstraint("signing_keys_pk", ["tenant_id", "kid"])
    .execute();

  await db.schema
    .createTable("clients")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("client_secret_hash", "text")
    .addColumn("client_name", "text")
    .addColumn("redirect_uris", "text", (c) => c.notNull())
    .addColumn("post_logout_redirect_uris", "text", (c) => c.notNull())
    .addColumn("grant_types", "text", (c) => c.notNull())
    .addColumn("response_types", "text", (c) => c.notNull())
    .addColumn("token_endpoint_auth_method", "text", (c) => c.notNull())
    .addColumn("scope", "text")
    .addColumn("jwks", "text")
    .addColumn("jwks_uri", "text")
    .addColumn("application_type", "text", (c) => c.notNull())
    .addColumn("skip_consent", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("secret_rotated_at", "bigint")
    .addPrimaryKeyConstraint("clients_pk", ["tenant_id", "client_id"])
    .execute();

  await db.schema
    .createTable("resources")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("uri", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("access_token_ttl", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("resources_pk", ["tenant_id", "id"])
    .addUniqueConstraint("resources_uri_unique", ["tenant_id", "uri"])
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("email_normalized", "text", (c) => c.notNull())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("disabled", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("users_pk", ["tenant_id", "id"])
    .addUniqueConstraint("users_email_unique", ["tenant_id", "email_normalized"])
    .execute();

  await db.schema
    .createTable("audit_events")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("subject", "text")
    .addColumn("data", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("audit_events_pk", ["tenant_id", "id"])
    .execute();
  await db.schema.createIndex("audit_events_created").on("audit_events").columns(["tenant_id", "created_at"]).execute();

  await db.schema
    .createTable("settings")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("settings_pk", ["tenant_id", "key"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["settings", "audit_events", "users", "resources", "clients", "signing_keys", "tenants"]) {
    await db.schema.dropTable(table).execute();
  }
}
