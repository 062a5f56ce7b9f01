import type { CompiledQuery, Insertable, Kysely } from "kysely";
import { type AuditEventInput, auditEventQuery, auditEventRow } from "./audit.js";
import { combineWrites } from "./combined-write.js";
import type { GuardedWrites } from "./guarded-writes.js";
import type { AccessTokensTable, AuditEventsTable, Database } from "./schema.js";
import { accessTokenRow, type IssuedAccessToken, recordAccessTokenQuery } from "./tokens.js";
import { transaction } from "./transaction.js";
import { TurnBatcher } from "./turn-batcher.js";

/** What is stored for an access token issued on its own (no refresh token): its row and its audit event. */
export interface IssuedTokenRecord {
  token: IssuedAccessToken;
  audit: AuditEventInput;
}

interface Pending {
  token: Insertable<AccessTokensTable>;
  audit: Insertable<AuditEventsTable>;
  done: () => void;
  failed: (error: unknown) => void;
}

/** Largest rows per INSERT; batches split into power-of-two chunks so few SQL texts (prepared statements) exist. */
const MAX_CHUNK = 64;

/** The multi-row INSERTs of a batch, in chunks of at most {@link MAX_CHUNK} rows. */
function insertStatements(db: Kysely<Database>, batch: readonly Pending[]): CompiledQuery[] {
  const statements: CompiledQuery[] = [];
  for (let start = 0; start < batch.length; ) {
    let size = MAX_CHUNK;
    while (size > batch.length - start) size /= 2;
    const chunk = batch.slice(start, start + size);
    statements.push(
      db
        .insertInto("access_tokens")
        .values(chunk.map((p) => p.token))
        .compile(),
      db
        .insertInto("audit_events")
        .values(chunk.map((p) => p.audit))
        .compile(),
    );
    start += size;
  }
  return statements;
}

/** Writes a batch's rows atomically: as one statement (one round trip) when they combine, else in a transaction. */
async function insertRows(db: Kysely<Database>, batch: readonly Pending[]): Promise<void> {
  const statements = insertStatements(db, batch);
  const combined = combineWrites(undefined, statements);
  if (combined) {
    await db.executeQuery(combined);
    return;
  }
  await transaction(db, async (trx) => {
    for (const statement of statements) await trx.executeQuery(statement);
  });
}

/**
 * Group commit of standalone access tokens (client_credentials, token exchange, JWT bearer): the
 * records of the requests that reach this point in the same event-loop turn are written together,
 * atomically, and each request's {@link record} resolves only once its rows are committed, so no
 * token is answered before its row and audit event are stored. On PostgreSQL a batch is one
 * statement (combined-write.ts): one round trip per batch instead of BEGIN, one per table and
 * COMMIT, let alone per token. A batch that fails is retried row by
 * row, so one bad record fails only its own request. On SQLite the batching is GuardedWrites'
 * (a savepoint per token inside the turn's transaction), which also isolates a bad record.
 */
export class IssuedTokenLog {
  readonly #batcher = new TurnBatcher<Pending>((batch) => this.#flush(batch));

  /**
   * @param sqliteWrites on SQLite, the server's GuardedWrites: the rows go through its synchronous
   *   per-turn transaction (one savepoint per token) instead of multi-row INSERTs built per batch.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tenantId: string,
    private readonly sqliteWrites?: GuardedWrites,
  ) {}

  /** Resolves when the token row and its audit event are committed; rejects with the database's error. */
  record(record: IssuedTokenRecord): Promise<void> {
    if (this.sqliteWrites) {
      const statements = [
        recordAccessTokenQuery(this.db, this.tenantId, record.token),
        auditEventQuery(this.db, this.tenantId, record.audit),
      ];
      return this.sqliteWrites.apply({ statements }).then(() => undefined);
    }
    return new Promise((done, failed) => {
      this.#batcher.add({
        token: accessTokenRow(this.tenantId, record.token),
        audit: auditEventRow(this.tenantId, record.audit).row,
        done,
        failed,
      });
    });
  }

  /** Resolves when everything recorded so far is written (shutdown waits for it before closing the database). */
  async drain(): Promise<void> {
    await this.#batcher.drain();
    await this.sqliteWrites?.drain();
  }

  async #flush(batch: Pending[]): Promise<void> {
    try {
      await insertRows(this.db, batch);
      for (const pending of batch) pending.done();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.failed(error);
        return;
      }
      for (const pending of batch) {
        await insertRows(this.db, [pending]).then(pending.done, pending.failed);
      }
    }
  }
}
