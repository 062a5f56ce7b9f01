import type { Kysely as KyselyType } from "kysely";
import { describe, expect, it } from "vitest";
import { claimAuthorizationCodeQuery } from "../src/store/codes.js";
import { Kysely, PostgresDialect, SqliteDialect } from "../src/store/kysely.js";
import type { Database } from "../src/store/schema.js";
import { spendRefreshTokenQuery, touchTokenFamilyQuery } from "../src/store/tokens.js";

// The token path's UPDATEs take their SQL text from a cache and bind their parameters by hand:
// both must be what Kysely's builder gives for the same values, on each dialect, on every call
// (the first call compiles the text, later ones reuse it with their own values).
const unused = () => {
  throw new Error("compiling needs no connection");
};
const dialects = {
  sqlite: new Kysely<Database>({ dialect: new SqliteDialect({ database: unused as never }) }),
  postgres: new Kysely<Database>({ dialect: new PostgresDialect({ pool: unused as never }) }),
};

type Db = KyselyType<Database>;
type Values = [tenant: string, key: string, other: string | null, now: number];
/** Each statement: Ward's function, and the same UPDATE written with Kysely's builder. */
const statements: Record<
  string,
  {
    ward: (db: Db, v: Values) => { sql: string; parameters: readonly unknown[] };
    builder: (db: Db, v: Values) => { sql: string; parameters: readonly unknown[] };
  }
> = {
  "spend refresh token": {
    ward: (db, [tenant, hash, successor, now]) => spendRefreshTokenQuery(db, tenant, hash, now, successor),
    builder: (db, [tenant, hash, successor, now]) =>
      db
        .updateTable("refresh_tokens")
        .set({ spent_at: now, successor_sealed: successor })
        .where("tenant_id", "=", tenant)
        .where("token_hash", "=", hash)
        .where("spent_at", "is", null)
        .compile(),
  },
  "touch token family": {
    ward: (db, [tenant, id, , now]) => touchTokenFamilyQuery(db, tenant, id, now),
    builder: (db, [tenant, id, , now]) =>
      db.updateTable("token_families").set({ last_used_at: now }).where("tenant_id", "=", tenant).where("id", "=", id).compile(),
  },
  "claim authorization code": {
    ward: (db, [tenant, hash, family, now]) => claimAuthorizationCodeQuery(db, tenant, hash, family as string, now),
    builder: (db, [tenant, hash, family, now]) =>
      db
        .updateTable("authorization_codes")
        .set({ used_at: now, family_id: family })
        .where("tenant_id", "=", tenant)
        .where("code_hash", "=", hash)
        .where("used_at", "is", null)
        .compile(),
  },
};
const calls: Values[] = [
  ["t1", "key-1", "other-1", 1000],
  ["t2", "key-2", "other-2", 2000],
];

describe.each(Object.entries(dialects))("statements compiled once (%s)", (_, db) => {
  it.each(Object.keys(statements))("%s: the builder's SQL and parameters, on a first and a later call", (name) => {
    const { ward, builder } = statements[name] as (typeof statements)[string];
    for (const values of calls) {
      const actual = ward(db, values);
      const expected = builder(db, values);
      expect([actual.sql, actual.parameters]).toEqual([expected.sql, expected.parameters]);
    }
  });

  it("a refresh token spent with no successor binds null", () => {
    const actual = spendRefreshTokenQuery(db, "t3", "key-3", 3000, null);
    expect(actual.parameters).toEqual([3000, null, "t3", "key-3"]);
  });
});
