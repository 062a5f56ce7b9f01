import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { WardError } from "@ward/core";
import SQLite from "better-sqlite3";
import type { Kysely as KyselyInstance, SqliteAdapter as KyselySqliteAdapter, SqliteDatabase } from "kysely";
import { databaseKindOf } from "../config/database-url.js";
import { redactUrl } from "../config/redact.js";
import type { SqliteAccess } from "./guarded-writes.js";
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, sql } from "./kysely.js";
import { migrateToLatest } from "./migrate.js";
import { type PreparedStatementOptions, preparedStatementPool } from "./prepared-statements.js";
import type { Database } from "./schema.js";
import { startWalCheckpointer } from "./wal-checkpointer.js";

/** An open database: the Kysely handle and what the server needs to report on it. */
export interface WardDatabase {
  db: KyselyInstance<Database>;
  dialect: "sqlite" | "postgres";
  /** The URL with any password replaced by `***`, safe to print. */
  target: string;
  /** Resolves when the database answers `select 1`. */
  ping(): Promise<void>;
  /** Closes the SQLite file or drains the PostgreSQL pool. */
  close(): Promise<void>;
  /** SQLite only: the connection itself, for batches run synchronously (see guarded-writes.ts). */
  sqlite?: SqliteAccess;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL pool size (default 10). Ignored for SQLite, which has one connection. */
  poolMax?: number;
  /**
   * PostgreSQL only: parameterized statements as named prepared statements, parsed once per
   * connection (on unless `enabled: false`; see prepared-statements.ts).
   */
  preparedStatements?: PreparedStatementOptions;
  /** PostgreSQL schema to work in (`search_path`); tests use one per run. Must already exist. */
  schema?: string;
  /**
   * SQLite files only: checkpoint the WAL from a worker thread instead of inside the COMMIT of a
   * request, but for a rare one that keeps the WAL bounded (see wal-checkpointer.ts). The server
   * turns it on; short-lived tools need not. Called with the reason when the worker fails
   * (automatic checkpoints are then back on).
   */
  checkpointInBackground?: { onProblem: (reason: string) => void };
}

const INT8_OID = 20;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The password of a URL, to scrub it from driver messages (which could echo a malformed URL). */
function passwordOf(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password.length > 0 ? password : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown, secret?: string): string {
  const e = (error ?? {}) as { code?: unknown; message?: string; errors?: { message?: string }[] };
  const message = e.message || e.errors?.[0]?.message || String(error);
  const reason = typeof e.code === "string" && !message.includes(e.code) ? `${e.code} ${message}` : message;
  return secret ? reason.split(secret).join("***") : reason;
}

/**
 * Kysely treats SQLite DDL as non-transactional, but SQLite runs CREATE/ALTER inside transactions
 * fine. Saying so makes the Migrator run each migration in a transaction, as on PostgreSQL, so a
 * failed migration leaves nothing half-created.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Prepared statements kept per connection; Ward's SQL is a few dozen fixed shapes, this only bounds odd ones (IN lists). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The better-sqlite3 handle as Kysely sees it, with prepared statements reused by SQL text: Kysely
 * calls prepare() for every query, and compiling the SQL was a measured share of each token
 * request (see bench/README.md). A statement still iterating (busy) is never handed out twice.
 */
function withStatementCache(native: SQLite.Database): SqliteDatabase & SqliteAccess {
  const statements = new Map<string, SQLite.Statement>();
  return {
    native,
    close: () => native.close(),
    prepare(sqlText: string) {
      const cached = statements.get(sqlText);
      if (cached && !cached.busy) return cached;
      const statement = native.prepare(sqlText);
      if (!cached) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}

class WardSqliteDialect extends SqliteDialect {
  override createAdapter(): KyselySqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

function openSqlite(url: string): WardDatabase & { sqlite: SqliteAccess; file: string | undefined } {
  const path = url.slice("sqlite:".length);
  const memory = path === ":memory:";
  let native: SQLite.Database;
  try {
    if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
    native = new SQLite(memory ? ":memory:" : path);
  } catch (error) {
    throw new WardError("database_unreachable", { target: url, reason: reasonOf(error) }, { cause: error });
  }
  try {
    if (!memory) native.pragma("journal_mode = WAL");
    native.pragma("foreign_keys = ON");
    native.pragma("busy_timeout = 5000");
    native.pragma("synchronous = NORMAL");
    // Savepoint journals in memory: a turn's batch opens a savepoint per write, and SQLite copies every
    // page a savepoint changes into that journal, which otherwise spills to a temporary file past
    // 64 KiB (more file writes per token than the WAL's own). It only ever serves a rollback inside
    // the transaction; the WAL still holds what is committed.
    native.pragma("temp_store = MEMORY");
  } catch (error) {
    native.close();
    throw new WardError("database_unreachable", { target: url, reason: reasonOf(error) }, { cause: error });
  }
  const connection = withStatementCache(native);
  const db = new Kysely<Database>({ dialect: new WardSqliteDialect({ database: connection }) });
  return {
    db,
    sqlite: connection,
    file: memory ? undefined : path,
    dialect: "sqlite",
    target: url,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** `pg` is loaded only for a PostgreSQL URL: an embedded SQLite deployment starts without it. */
async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<WardDatabase> {
  const { default: pg } = await import("pg");
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new TypeError(`openDatabase: schema must match ${SCHEMA_NAME}, got ${JSON.stringify(options.schema)}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: 5000,
    application_name: "ward",
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
    // int8 (our epoch-ms timestamps, count(*)) as JS numbers, for this pool only: pg's global parsers stay as they are.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID && format !== "binary" ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on("error", () => {
    // An idle connection dropped; the pool replaces it on next use, and ping() reports an outage.
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparedStatementPool(pool, options.preparedStatements) }) });
  return {
    db,
    dialect: "postgres",
    target: redactUrl(url),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/**
 * Opens the database named by `database.url`, checks that it answers, and runs pending migrations.
 *
 * - `sqlite:<path>`: a file (its folder is created), in WAL mode with foreign keys on,
 *   `busy_timeout=5000` and `synchronous=NORMAL`; `sqlite::memory:` for a throw-away database.
 * - `postgres://user:password@host:port/database` (or `postgresql://`).
 *
 * @throws WardError `database_url_invalid` (any other URL; its password is redacted),
 *   `database_unreachable` (the database does not answer), `database_migration_failed`,
 *   `database_newer_than_ward`.
 * @example
 * const database = await openDatabase("sqlite:.ward/ward.db");
 * const clients = await listClients(database.db, DEFAULT_TENANT);
 * await database.close();
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<WardDatabase> {
  let database: WardDatabase;
  let sqlite: ReturnType<typeof openSqlite> | undefined;
  const kind = databaseKindOf(url);
  if (kind === "sqlite") database = sqlite = openSqlite(url);
  else if (kind === "postgres") database = await openPostgres(url, options);
  else throw new WardError("database_url_invalid", { received: redactUrl(url) });
  try {
    await database.ping();
  } catch (error) {
    await database.close().catch(() => undefined);
    throw new WardError("database_unreachable", { target: database.target, reason: reasonOf(error, passwordOf(url)) }, { cause: error });
  }
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  if (sqlite?.file !== undefined && options.checkpointInBackground) {
    const checkpointer = startWalCheckpointer(sqlite.sqlite.native, sqlite.file, options.checkpointInBackground.onProblem);
    const closeDatabase = database.close;
    database.close = async () => {
      await checkpointer.stop();
      await closeDatabase();
    };
  }
  return database;
}
