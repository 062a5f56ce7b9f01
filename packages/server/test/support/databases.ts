import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { expect, it } from "vitest";
import type { OpenDatabaseOptions } from "../../src/store/database.js";

/** The PostgreSQL the storage tests use (trust auth on loopback); override with WARD_TEST_POSTGRES_URL. */
export const POSTGRES_URL = process.env.WARD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A new, empty database: pass `url` and `options` to openDatabase; `drop()` removes it. */
export interface FreshDatabase {
  url: string;
  options: OpenDatabaseOptions;
  drop(): Promise<void>;
}

export interface TestDatabase {
  name: "SQLite" | "PostgreSQL";
  dialect: "sqlite" | "postgres";
  /** Why this engine cannot run here; undefined when it can. */
  unavailable?: string;
  /** True when an unavailable engine must fail the run instead of being skipped (CI=true). */
  required: boolean;
  /** A fresh database for one suite (a temp-dir file, or a `ward_test_<random>` schema). */
  create(): Promise<FreshDatabase>;
}

async function withClient<T>(fn: (client: pg.Client) => Promise<T>, connectionTimeoutMillis = 5000): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function postgresProblem(): Promise<string | undefined> {
  try {
    await withClient((client) => client.query("select 1"), 2000);
    return undefined;
  } catch (error) {
    const e = error as { code?: string; message?: string; errors?: { message?: string }[] };
    return e.message || e.errors?.[0]?.message || e.code || String(error);
  }
}

const sqlite: TestDatabase = {
  name: "SQLite",
  dialect: "sqlite",
  required: true,
  create: async () => {
    const dir = mkdtempSync(join(tmpdir(), "ward-store-"));
    return { url: `sqlite:${join(dir, "ward.db")}`, options: {}, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

function postgres(unavailable: string | undefined): TestDatabase {
  return {
    name: "PostgreSQL",
    dialect: "postgres",
    unavailable,
    required: process.env.CI === "true",
    create: async () => {
      const schema = `ward_test_${randomBytes(6).toString("hex")}`;
      await withClient((client) => client.query(`create schema ${schema}`));
      return {
        url: POSTGRES_URL,
        options: { schema },
        drop: () => withClient(async (client) => void (await client.query(`drop schema if exists ${schema} cascade`))),
      };
    },
  };
}

/**
 * The engines the storage suite runs on: SQLite always, PostgreSQL when it answers. When it does
 * not, the PostgreSQL suite is skipped with a one-line reason, except under CI=true, where the
 * suite fails with that reason instead (CI starts PostgreSQL; a skip there would hide a broken job).
 */
/** The URL of a fresh PostgreSQL schema for openDatabase / startTestWard: its search_path in the connection options. */
export function searchPathUrl(fresh: FreshDatabase): string {
  return `${fresh.url}?options=${encodeURIComponent(`-c search_path=${fresh.options.schema}`)}`;
}

export async function testDatabases(): Promise<TestDatabase[]> {
  const problem = await postgresProblem();
  const unavailable = problem === undefined ? undefined : `PostgreSQL at ${POSTGRES_URL} is unreachable (${problem})`;
  if (unavailable && process.env.CI !== "true") {
    console.log(`storage tests: skipping PostgreSQL: ${unavailable}; start it or set WARD_TEST_POSTGRES_URL`);
  }
  return [sqlite, postgres(unavailable)];
}

/**
 * For suites that only make sense on PostgreSQL: the engine when it answers. Otherwise registers,
 * inside the calling describe(), a skipped test with the reason, or under CI=true a failing one.
 */
export function postgresOrSkip(engines: TestDatabase[]): TestDatabase | undefined {
  const postgres = engines.find((engine) => engine.dialect === "postgres");
  if (postgres && !postgres.unavailable) return postgres;
  const reason = postgres?.unavailable ?? "no PostgreSQL engine";
  if (postgres?.required) it("PostgreSQL must be reachable under CI=true", () => expect.fail(reason));
  else it.skip(`skipped: ${reason}`, () => {});
  return undefined;
}
