import { WardError } from "@ward/core";
import type { Kysely, Migration } from "kysely";
import { Migrator, sql } from "./kysely.js";
import { migrations as builtIn } from "./migrations/index.js";
import type { Database } from "./schema.js";

/** The Ward version named in `database_newer_than_ward`. */
export const WARD_VERSION = "0.1.0";

async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return rows.rows.map((row) => row.name);
  } catch {
    return []; // no migration table yet: a new database
  }
}

/**
 * PostgreSQL's current schema, so the Migrator looks for its tables there: left alone, it accepts a
 * `kysely_migration` table in any schema of the database (another app's, another Ward's) as its own.
 * Undefined on SQLite, which has no such function.
 */
async function currentSchema(db: Kysely<Database>): Promise<string | undefined> {
  try {
    const rows = await sql<{ name: string | null }>`select current_schema() as name`.execute(db);
    return rows.rows[0]?.name ?? undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs every pending migration, each in a transaction (on both engines), so a failure leaves the
 * database at the last migration that succeeded.
 *
 * @throws WardError `database_newer_than_ward` when the database has a migration this code does not know;
 *   `database_migration_failed` naming the migration that failed.
 * @example
 * await migrateToLatest(db);
 */
export async function migrateToLatest(db: Kysely<Database>, migrations: Readonly<Record<string, Migration>> = builtIn): Promise<void> {
  const unknown = (await appliedMigrations(db)).find((name) => !Object.hasOwn(migrations, name));
  if (unknown) throw new WardError("database_newer_than_ward", { migration: unknown, version: WARD_VERSION });
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableSchema: await currentSchema(db),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (!error) return;
  // A newer Ward migrating at the same moment, after the check above.
  const missing = /previously executed migration (\S+) is missing/.exec(reasonOf(error))?.[1];
  if (missing) throw new WardError("database_newer_than_ward", { migration: missing, version: WARD_VERSION }, { cause: error });
  const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "(before any migration)";
  throw new WardError("database_migration_failed", { migration: failed, reason: reasonOf(error) }, { cause: error });
}
