import type { Kysely } from "kysely";
import { sql } from "./kysely.js";
import type { Database } from "./schema.js";

/** True for a unique / primary-key violation on SQLite (better-sqlite3) or PostgreSQL (pg). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/**
 * Runs one write and turns a unique violation into the catalog error `conflict` builds, so no raw
 * driver error escapes. Inside a transaction the write runs under a savepoint: PostgreSQL aborts the
 * whole transaction on any error, so without it the look-up `conflict` makes (to name the existing
 * row) would fail, and the caller could not catch the conflict and carry on.
 */
export async function guardUnique<T>(
  db: Kysely<Database>,
  write: () => Promise<T>,
  conflict: (error: unknown) => Promise<Error> | Error,
): Promise<T> {
  if (!db.isTransaction) {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw await conflict(error);
      throw error;
    }
  }
  await sql`savepoint ward_unique_write`.execute(db);
  try {
    const result = await write();
    await sql`release savepoint ward_unique_write`.execute(db);
    return result;
  } catch (error) {
    await sql`rollback to savepoint ward_unique_write`.execute(db);
    await sql`release savepoint ward_unique_write`.execute(db);
    if (isUniqueViolation(error)) throw await conflict(error);
    throw error;
  }
}
