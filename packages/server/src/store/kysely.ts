import { createRequire } from "node:module";
import type * as KyselyModule from "kysely";

/**
 * Kysely's runtime values, from its CommonJS build: Node 20 loads its ~280 files by `require` in
 * about 140 ms of CPU against about 225 ms as ES modules, the largest single share of `ward
 * server`'s time to ready. Import Kysely's values from here and its types from "kysely", so one
 * copy is loaded.
 */
const kysely = createRequire(import.meta.url)("kysely") as typeof KyselyModule;

export const { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteAdapter, SqliteDialect, sql } = kysely;
