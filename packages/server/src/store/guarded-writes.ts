import type SQLite from "better-sqlite3";
import type { CompiledQuery, Kysely } from "kysely";
import { combineWrites } from "./combined-write.js";
import type { Database } from "./schema.js";
import { transaction } from "./transaction.js";
import { TurnBatcher } from "./turn-batcher.js";

/**
 * A change that happens only if its guard wins: the guard is a compare-and-set UPDATE (mark a code
 * used, spend a refresh token) that must change exactly one row; then the statements (the new
 * token family, token rows, audit event) are applied with it, all or nothing. Without a guard the
 * statements are applied, all or nothing.
 */
export interface GuardedWrite {
  guard?: CompiledQuery;
  statements: readonly CompiledQuery[];
}

/** SQLite's connection, for running a batch synchronously (better-sqlite3 is synchronous anyway). */
export interface SqliteAccess {
  native: SQLite.Database;
  /** Prepared statements reused by SQL text (the same cache Kysely's queries use). */
  prepare(sqlText: string): SQLite.Statement;
}

interface Pending {
  write: GuardedWrite;
  resolve: (won: boolean) => void;
  reject: (error: unknown) => void;
}

const LOST = Symbol("guard lost");

/** What one write of a SQLite batch came to: applied, its guard lost, or a statement failed. */
type Outcome = { won: boolean } | { error: unknown };

/**
 * Applies {@link GuardedWrite}s: the token issuance of the authorization code, device code and
 * refresh token grants, and on SQLite also the standalone access tokens of {@link IssuedTokenLog}.
 *
 * On SQLite the writes that arrive in the same event-loop turn are applied in one transaction, run
 * synchronously on the connection (no await between statements), each in its own savepoint: a
 * write whose guard lost or whose statement failed is rolled back alone, and every promise settles
 * only after the COMMIT, so no token is answered before its rows are stored. On PostgreSQL each
 * write is one statement (combined-write.ts: one round trip instead of one per statement plus
 * BEGIN and COMMIT), or its own transaction when a statement has a shape that cannot be combined;
 * concurrent requests use different pooled connections.
 */
export class GuardedWrites {
  readonly #batcher = new TurnBatcher<Pending>((batch) => this.#flush(batch));
  /** PostgreSQL: the writes under way, each in its own transaction. */
  #inFlight = new Set<Promise<boolean>>();

  /** SQLite: the batch's transaction, built once (better-sqlite3 runs the inner one as a savepoint). */
  readonly #applyBatch: ((batch: readonly Pending[]) => Outcome[]) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite: SqliteAccess | undefined,
  ) {
    if (!sqlite) return;
    const run = (query: CompiledQuery) => sqlite.prepare(query.sql).run(query.parameters as unknown[]).changes;
    const applyOne = sqlite.native.transaction((write: GuardedWrite) => {
      if (write.guard && run(write.guard) !== 1) throw LOST;
      for (const statement of write.statements) run(statement);
    });
    this.#applyBatch = sqlite.native.transaction((batch: readonly Pending[]) =>
      batch.map(({ write }): Outcome => {
        try {
          applyOne(write);
          return { won: true };
        } catch (error) {
          return error === LOST ? { won: false } : { error };
        }
      }),
    );
  }

  /** True when the guard won and everything is committed; false when the guard lost (nothing written). */
  apply(write: GuardedWrite): Promise<boolean> {
    if (!this.sqlite) {
      const applying = this.#applyInTransaction(write);
      this.#inFlight.add(applying);
      const forget = () => this.#inFlight.delete(applying);
      applying.then(forget, forget);
      return applying;
    }
    return new Promise((resolve, reject) => this.#batcher.add({ write, resolve, reject }));
  }

  /** Resolves when every write applied so far has settled (shutdown waits for it before closing the database). */
  async drain(): Promise<void> {
    await this.#batcher.drain();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #applyInTransaction(write: GuardedWrite): Promise<boolean> {
    const combined = combineWrites(write.guard, write.statements);
    if (combined) {
      const { rows } = await this.db.executeQuery<{ won: number }>(combined);
      return write.guard === undefined || rows[0]?.won === 1;
    }
    try {
      await transaction(this.db, async (trx) => {
        if (write.guard && Number((await trx.executeQuery(write.guard)).numAffectedRows ?? 0) !== 1) throw LOST;
        for (const statement of write.statements) await trx.executeQuery(statement);
      });
      return true;
    } catch (error) {
      if (error === LOST) return false;
      throw error;
    }
  }

  async #flush(batch: Pending[]): Promise<void> {
    const applyBatch = this.#applyBatch as (batch: readonly Pending[]) => Outcome[];
    let outcomes: Outcome[];
    try {
      // Kysely's connection: waits for any transaction Kysely has open on it, and holds it while this runs.
      outcomes = await this.db.connection().execute(async () => applyBatch(batch));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i] as Outcome;
      if ("error" in outcome) pending.reject(outcome.error);
      else pending.resolve(outcome.won);
    });
  }
}
