import type { CompiledQuery as CompiledQueryType } from "kysely";
import { CompiledQuery } from "./kysely.js";

/**
 * PostgreSQL only: a guarded write (or a plain list of writes) as ONE statement, so it costs one
 * round trip instead of BEGIN, one per statement and COMMIT. Data-modifying statements in WITH run
 * exactly once, atomically with the statement, on the same snapshot:
 *
 *   with "guard" as (update … where … and "spent_at" is null returning 1),
 *        "w1" as (insert into "t" (…) select $5, $6 where exists (select 1 from "guard")),
 *        "w2" as (update "u" set … where (…) and exists (select 1 from "guard"))
 *   select count(*)::int as "won" from "guard"
 *
 * so every statement writes only if the guard changed its row, and a failing statement (a unique
 * violation) fails them all. Under READ COMMITTED the guard's UPDATE waits for a concurrent
 * writer of its row and re-checks its condition, as it did as the first statement of a
 * transaction. Statements must not touch the same row twice (PostgreSQL does not define the
 * outcome); Ward's guarded writes touch one row each.
 *
 * Only the shapes Kysely compiles for Ward's writes are accepted: `update … set … where …` (no
 * `returning`) and `insert into … (…) values (…)` of `$n` parameters (one row when guarded). For
 * anything else this returns undefined and the caller runs the statements in a transaction, as
 * it does past {@link MAX_PARAMETERS} (PostgreSQL takes at most 65535 per statement).
 */
export function combineWrites(
  guard: CompiledQueryType | undefined,
  statements: readonly CompiledQueryType[],
): CompiledQueryType | undefined {
  let total = guard?.parameters.length ?? 0;
  for (const statement of statements) total += statement.parameters.length;
  if (total > MAX_PARAMETERS) return undefined;
  const texts = statements.map((statement) => statement.sql);
  const key = `${guard?.sql ?? ""}\u0000${texts.join("\u0000")}`;
  let sql = combinedTexts.get(key);
  if (sql === undefined) {
    sql = combinedText(guard?.sql, texts) ?? null;
    if (combinedTexts.size >= MAX_REMEMBERED) combinedTexts.clear();
    combinedTexts.set(key, sql);
  }
  if (sql === null) return undefined;
  const parameters: unknown[] = guard ? [...guard.parameters] : [];
  for (const statement of statements) for (const value of statement.parameters) parameters.push(value);
  return CompiledQuery.raw(sql, parameters);
}

/**
 * The combined SQL of each list of statement texts seen (null: not combinable). A request's write
 * has the same texts every time (only its parameters differ), so the patterns and renumbering run
 * once per shape, not per token. Bounded: cleared when full.
 */
const combinedTexts = new Map<string, string | null>();
const MAX_REMEMBERED = 512;

/** The statement's SQL with its `$n` shifted by `offset`, and how many parameters it numbers. */
function renumbered(text: string, offset: number): { text: string; count: number } {
  let count = 0;
  const shifted = text.replace(/\$(\d+)/g, (_, n: string) => {
    count = Math.max(count, Number(n));
    return `$${Number(n) + offset}`;
  });
  return { text: shifted, count };
}

function combinedText(guard: string | undefined, statements: readonly string[]): string | undefined {
  const parts: string[] = [];
  let offset = 0;
  const add = (name: string, text: string, suffix = "") => {
    const shifted = renumbered(text, offset);
    offset += shifted.count;
    parts.push(`"${name}" as (${shifted.text}${suffix})`);
  };
  if (guard !== undefined) {
    if (!UPDATE.test(guard) || hasReturning(guard)) return undefined;
    add("guard", guard, " returning 1");
  }
  for (const [index, statement] of statements.entries()) {
    const part = guard !== undefined ? conditioned(statement) : plain(statement);
    if (part === undefined) return undefined;
    add(`w${index + 1}`, part);
  }
  if (parts.length === 0) return undefined;
  const result = guard !== undefined ? `select count(*)::int as "won" from "guard"` : `select 1 as "won"`;
  return `with ${parts.join(", ")} ${result}`;
}

/** Half of PostgreSQL's limit per statement (a 16-bit count in the Bind message). */
export const MAX_PARAMETERS = 32_767;

/** `set` of parameters only, so the first " where " is the statement's own. */
const UPDATE = /^update "[a-z_]+" set "[a-z_]+" = \$\d+(?:, "[a-z_]+" = \$\d+)* where .+$/s;
const PARAMETERS = String.raw`\$\d+(?:, \$\d+)*`;
const INSERT_ONE_ROW = new RegExp(String.raw`^(insert into "[a-z_]+" \([^)]*\)) values \((${PARAMETERS})\)$`, "s");
const INSERT_ROWS = new RegExp(String.raw`^insert into "[a-z_]+" \([^)]*\) values \(${PARAMETERS}\)(?:, \(${PARAMETERS}\))*$`, "s");
const GUARD_WON = `exists (select 1 from "guard")`;

function hasReturning(sql: string): boolean {
  return /\breturning\b/i.test(sql);
}

/** The statement, to run only if the guard won; undefined for a shape this does not know. */
function conditioned(sql: string): string | undefined {
  if (hasReturning(sql)) return undefined;
  const insert = INSERT_ONE_ROW.exec(sql);
  if (insert) return `${insert[1]} select ${insert[2]} where ${GUARD_WON}`;
  if (UPDATE.test(sql)) {
    const where = sql.indexOf(" where ");
    return `${sql.slice(0, where)} where (${sql.slice(where + " where ".length)}) and ${GUARD_WON}`;
  }
  return undefined;
}

/** The statement as it is, when it is one this knows. */
function plain(sql: string): string | undefined {
  if (hasReturning(sql)) return undefined;
  return INSERT_ROWS.test(sql) || UPDATE.test(sql) ? sql : undefined;
}
