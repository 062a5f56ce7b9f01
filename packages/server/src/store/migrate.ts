import { WardError } from "@ward/core";
import { type Kysely, Migrator, sql } from "kysely";
import { migrations } from "./migrations/index.js";
import type { Database } from "./schema.js";

const VERSION = "0.1.0";

async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return rows.rows.map((row) => row.name);
  } catch {
    return [];
  }
}

/** Runs every pending migration; refuses a database that a newer Ward migrated. */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const unknown = (await appliedMigrations(db)).find((name) => !Object.hasOwn(migrations, name));
  if (unknown) throw new WardError("database_newer_than_ward", { migration: unknown, version: VERSION });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "(before any migration)";
    throw new WardError(
      "database_migration_failed",
      { migration: failed, reason: error instanceof Error ? error.message : String(error) },
      { cause: error },
    );
  }
}
