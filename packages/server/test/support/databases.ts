import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const POSTGRES_URL = process.env.WARD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestEngine {
  name: "sqlite" | "postgres";
  /** Undefined when the engine must be skipped; the reason is in `skip`. */
  skip?: string;
  /** A fresh, empty database: its URL and options, and how to drop it. */
  create(): Promise<{ url: string; schema?: string; drop(): Promise<void> }>;
}

async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The engines the storage suite runs on. PostgreSQL is skipped with a one-line reason when it is
 * not reachable, except under CI=true, where it must run: the suite then fails loudly.
 */
export async function testEngines(): Promise<TestEngine[]> {
  const unreachable = await postgresReachable();
  if (unreachable && process.env.CI === "true") {
    throw new Error(`CI=true but PostgreSQL at ${POSTGRES_URL} is unreachable (${unreachable}); .ci/run should have started it`);
  }
  if (unreachable) console.log(`skipping PostgreSQL storage tests: ${POSTGRES_URL} unreachable (${unreachable})`);
  return [
    {
      name: "sqlite",
      create: async () => ({ url: `sqlite:${join(mkdtempSync(join(tmpdir(), "ward-store-")), "ward.db")}`, drop: async () => undefined }),
    },
    {
      name: "postgres",
      skip: unreachable ? `PostgreSQL unreachable at ${POSTGRES_URL}` : undefined,
      create: async () => {
        const schema = `ward_test_${randomBytes(6).toString("hex")}`;
        const admin = new pg.Client({ connectionString: POSTGRES_URL });
        await admin.connect();
        await admin.query(`create schema ${schema}`);
        await admin.end();
        return {
          url: POSTGRES_URL,
          schema,
          drop: async () => {
            const client = new pg.Client({ connectionString: POSTGRES_URL });
            await client.connect();
            await client.query(`drop schema if exists ${schema} cascade`);
            await client.end();
          },
        };
      },
    },
  ];
}
