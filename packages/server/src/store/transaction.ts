import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws (the error is
 * rethrown as is). Called with a transaction already, it joins it instead of nesting.
 *
 * Inside `fn`, use only `trx`: on SQLite there is one connection, so a query on the outer `db`
 * waits for the transaction to end, which never happens.
 *
 * @example
 * await transaction(db, async (trx) => {
 *   await insertClient(trx, tenantId, client);
 *   await recordAuditEvent(trx, tenantId, { type: "client.created", actor: "admin", subject: client.client_id });
 * });
 */
export async function transaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}
