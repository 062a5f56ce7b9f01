import type { Kysely } from "kysely";

/**
 * The maintenance timer deletes expired rows every minute (oauth/cleanup.ts) by `expires_at`, which
 * no index covered: each run read every row of these tables. On SQLite that read runs on the event
 * loop, so every request waited for it: 150 ms a minute with a million access tokens, seconds with
 * the millions a busy server keeps for a day. With these indexes a run reads only the rows it deletes.
 */
const EXPIRING_TABLES = [
  "access_tokens",
  "token_families",
  "authorization_codes",
  "device_codes",
  "used_jtis",
  "pushed_requests",
  "sessions",
  "interactions",
] as const;

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as typed today
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of EXPIRING_TABLES) {
    await db.schema.createIndex(`${table}_by_expiry`).on(table).columns(["tenant_id", "expires_at"]).execute();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of EXPIRING_TABLES) {
    await db.schema.dropIndex(`${table}_by_expiry`).execute();
  }
}
