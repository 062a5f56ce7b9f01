import type { CompiledQuery as CompiledQueryType, Kysely } from "kysely";
import { CompiledQuery } from "./kysely.js";
import type { Database } from "./schema.js";

/** SQL texts by name, per Kysely instance (the placeholders differ by dialect). */
const texts = new WeakMap<Kysely<Database>, Map<string, string>>();

/**
 * The SQL text `compile` returns for `db`, compiled once per database and `name`, then reused
 * with each call's own parameters: a hot-path query skips Kysely's builder (several µs a query)
 * when its text cannot differ between calls. `name` must identify the text completely.
 */
export function sqlTextOnce(db: Kysely<Database>, name: string, compile: () => string): string {
  let byName = texts.get(db);
  if (!byName) {
    byName = new Map();
    texts.set(db, byName);
  }
  let text = byName.get(name);
  if (text === undefined) {
    text = compile();
    byName.set(name, text);
  }
  return text;
}

/**
 * A statement whose SQL text is compiled once ({@link sqlTextOnce}), with `parameters`: they must be
 * the values `compile`'s builder would bind, in the order it binds them.
 */
export function queryOnce(db: Kysely<Database>, name: string, compile: () => string, parameters: unknown[]): CompiledQueryType {
  return CompiledQuery.raw(sqlTextOnce(db, name, compile), parameters);
}

/** The first row of a read whose SQL text is compiled once ({@link sqlTextOnce}), run with `parameters`. */
export async function firstRowOnce<Row>(
  db: Kysely<Database>,
  name: string,
  compile: () => string,
  parameters: unknown[],
): Promise<Row | undefined> {
  return (await db.executeQuery<Row>(queryOnce(db, name, compile, parameters))).rows[0];
}
