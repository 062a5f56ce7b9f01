import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { WardError } from "@ward/core";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { migrateToLatest } from "./migrate.js";
import type { Database } from "./schema.js";

export interface WardDatabase {
  db: Kysely<Database>;
  dialect: "sqlite" | "postgres";
  /** The URL with any password replaced by `***`, safe to print. */
  target: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  poolMax?: number;
  /** PostgreSQL schema (search_path) to use; tests use one per run. */
  schema?: string;
}

const INT8_OID = 20;

function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

function reasonOf(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: { message?: string }[] };
  const message = e.message || e.errors?.[0]?.message || String(error);
  return e.code && !message.includes(e.code) ? `${e.code} ${message}` : message;
}

function openSqlite(url: string): WardDatabase {
  const path = url.slice("sqlite:".length);
  const memory = path === ":memory:" || path === "";
  let native: SQLite.Database;
  try {
    if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
    native = new SQLite(memory ? ":memory:" : path);
    if (!memory) native.pragma("journal_mode = WAL");
    native.pragma("foreign_keys = ON");
    native.pragma("busy_timeout = 5000");
    native.pragma("synchronous = NORMAL");
  } catch (error) {
    throw new WardError("database_unreachable", { target: url, reason: reasonOf(error) }, { cause: error });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: native }) });
  return {
    db,
    dialect: "sqlite",
    target: url,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, options: OpenDatabaseOptions): WardDatabase {
  if (options.schema && !/^[a-z_][a-z0-9_]*$/.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: 5000,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it on next use and /ready reports it.
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: "postgres",
    target: redact(url),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/**
 * Opens the database named by `database.url` (`sqlite:<path>`, `sqlite::memory:`,
 * `postgres://…`), checks that it answers, and runs pending migrations.
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<WardDatabase> {
  let database: WardDatabase;
  if (url.startsWith("sqlite:")) database = openSqlite(url);
  else if (/^postgres(ql)?:\/\//.test(url)) database = openPostgres(url, options);
  else throw new WardError("database_url_invalid", { received: redact(url) });
  try {
    await database.ping();
  } catch (error) {
    await database.close().catch(() => undefined);
    throw new WardError("database_unreachable", { target: database.target, reason: reasonOf(error) }, { cause: error });
  }
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  return database;
}
