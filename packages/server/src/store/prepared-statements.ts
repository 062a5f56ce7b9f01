import { createHash } from "node:crypto";
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import type pg from "pg";

/**
 * Distinct statement texts that get a name. Ward's own statements are a few hundred at most; the
 * bound keeps texts built with a varying shape (a list of N values) from growing every
 * connection's set of prepared statements without end. Texts beyond it are sent unnamed.
 */
export const MAX_NAMED_STATEMENTS = 1000;

/**
 * Statements with more parameters are sent unnamed: the multi-row INSERTs of a large group commit
 * (one text per batch size) would each hold a large plan in every connection, and their parse
 * cost is shared by many rows anyway. A code exchange's guarded write has 39.
 */
export const MAX_NAMED_PARAMETERS = 256;

export interface PreparedStatementOptions {
  /** Name parameterized statements (default true); false sends every statement unnamed. */
  enabled?: boolean;
  maxNamed?: number;
  /** Told, once, when PostgreSQL's answers show that named statements do not stay with a connection. */
  onProblem?: (reason: string) => void;
}

/**
 * A pool for Kysely whose parameterized statements are named prepared statements: each connection
 * parses and plans a statement once and afterwards sends only its parameters (Bind/Execute). With
 * unnamed statements PostgreSQL parsed and planned every query of every token request again, which
 * cost the token endpoint more CPU in PostgreSQL than Ward spent itself.
 *
 * A name is a hash of the statement's text, so one name never stands for two texts, across
 * processes too. Statements without parameters (transaction control, migrations' DDL, several
 * statements in one text) stay on the simple protocol, unnamed, as before.
 *
 * Two cases where a connection's statements are not what the client believes:
 * - a pooler in transaction mode (PgBouncer without prepared-statement support) runs each
 *   transaction on whichever server connection is free: PostgreSQL answers 26000 (no such
 *   statement) or 42P05 (already exists). Naming is then turned off for this pool, `onProblem` says
 *   why and what to set, and the connection is dropped.
 * - a column added or removed under a running server: 0A000 "cached plan must not change result
 *   type" for a `select *`. The connection is dropped, so its statements are parsed afresh.
 * In both the statement did not run, so outside a transaction it is sent again, unnamed, and the
 * caller sees its result. Inside one, PostgreSQL has already aborted the transaction: the error
 * goes to the caller.
 */
export function preparedStatementPool(pool: pg.Pool, options: PreparedStatementOptions = {}): PostgresPool {
  const maxNamed = options.maxNamed ?? MAX_NAMED_STATEMENTS;
  const names = new Map<string, string>();
  let naming = options.enabled ?? true;

  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < maxNamed) {
      name = `ward_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
      names.set(text, name);
    }
    return name;
  };

  const notOnThisConnection = (error: unknown, name: string): boolean => {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== "26000" && code !== "42P05") return false;
    if (naming) {
      naming = false;
      options.onProblem?.(
        `PostgreSQL answered "${(error as Error).message}" for prepared statement ${name}: the server connection's prepared statements ` +
          "are not the ones this connection made, so a connection pooler in transaction mode (e.g. PgBouncer without max_prepared_statements) " +
          "is between Ward and PostgreSQL. " +
          "Prepared statements are now off for this process; set database.prepared_statements: false " +
          "(WARD_DATABASE_PREPARED_STATEMENTS=false), or enable prepared statements in the pooler",
      );
    }
    return true;
  };

  const planChanged = (error: unknown): boolean =>
    (error as { code?: unknown } | null)?.code === "0A000" && /cached plan must not change result type/.test((error as Error).message);

  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let inTransaction = false;
    let dropOnRelease = false;

    const execute = async <R>(text: string, values: unknown[]): Promise<PostgresQueryResult<R>> => {
      const name = naming && values.length > 0 && values.length <= MAX_NAMED_PARAMETERS ? nameOf(text) : undefined;
      if (name === undefined) {
        if (values.length === 0) inTransaction = transactionStateAfter(text, inTransaction);
        return (await client.query(text, values)) as unknown as PostgresQueryResult<R>;
      }
      try {
        return (await client.query({ name, text, values })) as unknown as PostgresQueryResult<R>;
      } catch (error) {
        if (!notOnThisConnection(error, name) && !planChanged(error)) throw error;
        dropOnRelease = true;
        if (inTransaction) throw error;
        return (await client.query(text, values)) as unknown as PostgresQueryResult<R>;
      }
    };

    return {
      query: ((textOrCursor: string | PostgresCursor<unknown>, values?: ReadonlyArray<unknown>) =>
        typeof textOrCursor === "string"
          ? // Kysely passes a fresh copy of its parameters; pg only reads them.
            execute(textOrCursor, (values ?? []) as unknown[])
          : client.query(textOrCursor as unknown as pg.Submittable)) as PostgresPoolClient["query"],
      release: () => {
        const drop = dropOnRelease;
        dropOnRelease = false;
        inTransaction = false;
        client.release(drop || undefined);
      },
    };
  };

  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let ours = wrapped.get(client);
      if (ours === undefined) {
        ours = wrap(client);
        wrapped.set(client, ours);
      }
      return ours;
    },
    end: () => pool.end(),
  };
}

const BEGINS = /^\s*(begin|start\s+transaction)\b/i;
const ENDS = /^\s*(commit|rollback|end|abort)\s*;?\s*$/i;

/** Whether a connection is inside a transaction after `text` (statements without parameters only). */
function transactionStateAfter(text: string, inTransaction: boolean): boolean {
  if (BEGINS.test(text)) return true;
  if (ENDS.test(text)) return false;
  return inTransaction;
}
