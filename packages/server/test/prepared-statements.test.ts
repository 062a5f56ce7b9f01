import { createHash } from "node:crypto";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { MAX_NAMED_PARAMETERS, type PreparedStatementOptions, preparedStatementPool } from "../src/store/prepared-statements.js";
import { type FreshDatabase, postgresOrSkip, searchPathUrl, testDatabases } from "./support/databases.js";
import { startTestWard } from "./support/ward.js";

const engines = await testDatabases();

/** Opens the fresh schema with one connection, so every query below runs on the same PostgreSQL session. */
async function open(fresh: FreshDatabase, prepared: PreparedStatementOptions = {}): Promise<WardDatabase> {
  return openDatabase(fresh.url, { ...fresh.options, poolMax: 1, preparedStatements: prepared });
}

const nameOf = (text: string) => `ward_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;

/** The session's prepared statements (this query has no parameters, so it is not one of them). */
async function prepared(database: WardDatabase): Promise<{ name: string; statement: string }[]> {
  const result = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements order by name`.execute(
    database.db,
  );
  return result.rows;
}

async function backendPid(database: WardDatabase): Promise<number> {
  return (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db)).rows[0].pid;
}

/** A statement with parameters, as Kysely sends it: its text and its result. */
const plusOne = (database: WardDatabase, value: number) => sql<{ v: number }>`select ${value}::int + 1 as v`.execute(database.db);
const PLUS_ONE_TEXT = "select $1::int + 1 as v";

describe("PostgreSQL prepared statements", () => {
  const postgres = postgresOrSkip(engines);
  if (!postgres) return;
  let fresh: FreshDatabase;
  const opened: WardDatabase[] = [];
  const openTracked = async (prepared: PreparedStatementOptions = {}) => {
    const database = await open(fresh, prepared);
    opened.push(database);
    return database;
  };

  beforeAll(async () => {
    fresh = await postgres.create();
  });
  afterAll(async () => {
    for (const database of opened) await database.close().catch(() => undefined);
    await fresh?.drop();
  });

  it("prepares a statement with parameters once per connection, named by a hash of its text; statements without parameters stay unnamed", async () => {
    const database = await openTracked();
    const before = await prepared(database);
    expect((await plusOne(database, 1)).rows).toEqual([{ v: 2 }]);
    expect((await plusOne(database, 41)).rows).toEqual([{ v: 42 }]);
    const after = (await prepared(database)).filter((row) => !before.some((b) => b.name === row.name));
    expect(after).toEqual([{ name: nameOf(PLUS_ONE_TEXT), statement: PLUS_ONE_TEXT }]);
    expect((await prepared(database)).some((row) => /pg_prepared_statements|pg_backend_pid/.test(row.statement))).toBe(false);
  });

  it(`names statements of up to ${MAX_NAMED_PARAMETERS} parameters; larger ones (a big group commit's INSERT) are sent unnamed`, async () => {
    const database = await openTracked();
    const count = (n: number) =>
      sql<{ n: number }>`select cardinality(array[${sql.join(Array.from({ length: n }, (_, i) => i))}]::int[]) as n`.execute(database.db);
    expect((await count(MAX_NAMED_PARAMETERS)).rows).toEqual([{ n: MAX_NAMED_PARAMETERS }]);
    expect((await count(MAX_NAMED_PARAMETERS + 1)).rows).toEqual([{ n: MAX_NAMED_PARAMETERS + 1 }]);
    const arrays = (await prepared(database)).filter((row) => row.statement.startsWith("select cardinality"));
    expect(arrays.map((row) => row.statement.match(/\$\d+/g)?.length)).toEqual([MAX_NAMED_PARAMETERS]);
  });

  it("sends every statement unnamed with enabled: false", async () => {
    const database = await openTracked({ enabled: false });
    expect((await plusOne(database, 1)).rows).toEqual([{ v: 2 }]);
    expect(await prepared(database)).toEqual([]);
  });

  it("names at most maxNamed distinct texts; the others are sent unnamed", async () => {
    const pool = new pg.Pool({ connectionString: fresh.url, max: 1 });
    const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: preparedStatementPool(pool, { maxNamed: 2 }) }) });
    try {
      for (const alias of ["a", "b", "c", "a"]) {
        const result = await sql<Record<string, number>>`select ${7}::int as ${sql.ref(alias)}`.execute(db);
        expect(result.rows).toEqual([{ [alias]: 7 }]);
      }
      const rows = await sql<{ statement: string }>`select statement from pg_prepared_statements order by statement`.execute(db);
      expect(rows.rows.map((row) => row.statement)).toEqual(['select $1::int as "a"', 'select $1::int as "b"']);
    } finally {
      await db.destroy();
    }
  });

  it("when the connection's statements vanish (a pooler in transaction mode), answers unnamed, stops naming, drops the connection and says what to set", async () => {
    const problems: string[] = [];
    const database = await openTracked({ onProblem: (reason) => problems.push(reason) });
    expect((await plusOne(database, 1)).rows).toEqual([{ v: 2 }]);
    const pid = await backendPid(database);
    await sql`deallocate all`.execute(database.db);

    expect((await plusOne(database, 2)).rows).toEqual([{ v: 3 }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`prepared statement ${nameOf(PLUS_ONE_TEXT)}`);
    expect(problems[0]).toContain("does not exist");
    expect(problems[0]).toContain("database.prepared_statements: false");
    expect(problems[0]).toContain("WARD_DATABASE_PREPARED_STATEMENTS=false");
    expect(await backendPid(database)).not.toBe(pid);

    expect((await plusOne(database, 3)).rows).toEqual([{ v: 4 }]);
    expect(await prepared(database)).toEqual([]);
    expect(problems).toHaveLength(1);
  });

  it("when the server connection already holds the name (42P05), answers unnamed and stops naming", async () => {
    const problems: string[] = [];
    const database = await openTracked({ onProblem: (reason) => problems.push(reason) });
    await sql.raw(`prepare ${nameOf(PLUS_ONE_TEXT)} as ${PLUS_ONE_TEXT}`).execute(database.db);
    expect((await plusOne(database, 5)).rows).toEqual([{ v: 6 }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("already exists");
  });

  it("inside a transaction, the vanished statement fails the transaction (PostgreSQL aborted it): nothing of it is written, and the next query works", async () => {
    const problems: string[] = [];
    const database = await openTracked({ onProblem: (reason) => problems.push(reason) });
    await sql`create table prepared_tx_probe (id int primary key)`.execute(database.db);
    expect((await plusOne(database, 1)).rows).toEqual([{ v: 2 }]);
    await sql`deallocate all`.execute(database.db);

    const failed = await database.db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into prepared_tx_probe (id) values (${1})`.execute(trx);
        await sql`select ${1}::int + 1 as v`.execute(trx);
      })
      .then(
        () => undefined,
        (error: { code?: string }) => error,
      );
    expect(failed?.code).toBe("26000");
    expect(problems).toHaveLength(1);
    const rows = await sql<{ n: number }>`select count(*)::int as n from prepared_tx_probe`.execute(database.db);
    expect(rows.rows).toEqual([{ n: 0 }]);
    expect((await plusOne(database, 9)).rows).toEqual([{ v: 10 }]);
  });

  it("after a column is added under a running server, a prepared select * is answered with the new column and the connection is dropped", async () => {
    const problems: string[] = [];
    const database = await openTracked({ onProblem: (reason) => problems.push(reason) });
    await sql`create table prepared_shape_probe (id int primary key, a text)`.execute(database.db);
    await sql`insert into prepared_shape_probe values (1, 'x')`.execute(database.db);
    const select = () => sql`select * from prepared_shape_probe where id = ${1}`.execute(database.db);
    expect((await select()).rows).toEqual([{ id: 1, a: "x" }]);
    const pid = await backendPid(database);

    const other = new pg.Client({ connectionString: fresh.url, options: `-c search_path=${fresh.options.schema}` });
    await other.connect();
    try {
      await other.query("alter table prepared_shape_probe add column b text default 'new'");
    } finally {
      await other.end();
    }

    expect((await select()).rows).toEqual([{ id: 1, a: "x", b: "new" }]);
    expect(await backendPid(database)).not.toBe(pid);
    expect(problems).toEqual([]);
    expect((await select()).rows).toEqual([{ id: 1, a: "x", b: "new" }]);
  });
});

describe("database.prepared_statements reaches the server's pool", () => {
  const engine = postgresOrSkip(engines);
  if (!engine) return;
  const postgres = engine;

  /** Statements the server's one connection has prepared after an admin API call (a fresh schema each). */
  async function preparedAfterAdminCall(preparedStatements: boolean): Promise<number> {
    const fresh = await postgres.create();
    const t = await startTestWard({ database: { url: searchPathUrl(fresh), pool_max: 1, prepared_statements: preparedStatements } });
    try {
      expect((await t.admin("/admin/v1/clients/no-such-client")).status).toBe(404);
      return (await prepared(t.ward.database)).length;
    } finally {
      await t.stop();
      await fresh.drop();
    }
  }

  it("true (the default): the server's connection holds prepared statements", async () => {
    expect(await preparedAfterAdminCall(true)).toBeGreaterThan(0);
  });

  it("false: none", async () => {
    expect(await preparedAfterAdminCall(false)).toBe(0);
  });
});
