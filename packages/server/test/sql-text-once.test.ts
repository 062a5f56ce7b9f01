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

describe.each(Object.entries(dialects))("statements compiled once (%s)", (_, db) => {
  it.each([
    ["t1", "hash-1", 1000, "sealed-1"],
    ["t2", "hash-2", 2000, null],
  ] as const)("spend refresh token %s", (tenant, hash, now, successor) => {
    const expected = db
      .updateTable("refresh_tokens")
      .set({ spent_at: now, successor_sealed: successor })
      .where("tenant_id", "=", tenant)
      .where("token_hash", "=", hash)
      .where("spent_at", "is", null)
      .compile();
    const actual = spendRefreshTokenQuery(db, tenant, hash, now, successor);
    expect([actual.sql, actual.parameters]).toEqual([expected.sql, expected.parameters]);
  });

  it.each([
    ["t1", "family-1", 1000],
    ["t2", "family-2", 2000],
  ] as const)("touch token family %s", (tenant, id, now) => {
    const expected = db
      .updateTable("token_families")
      .set({ last_used_at: now })
      .where("tenant_id", "=", tenant)
      .where("id", "=", id)
      .compile();
    const actual = touchTokenFamilyQuery(db, tenant, id, now);
    expect([actual.sql, actual.parameters]).toEqual([expected.sql, expected.parameters]);
  });

  it.each([
    ["t1", "code-1", "family-1", 1000],
    ["t2", "code-2", "family-2", 2000],
  ] as const)("claim authorization code %s", (tenant, hash, family, now) => {
    const expected = db
      .updateTable("authorization_codes")
      .set({ used_at: now, family_id: family })
      .where("tenant_id", "=", tenant)
      .where("code_hash", "=", hash)
      .where("used_at", "is", null)
      .compile();
    const actual = claimAuthorizationCodeQuery(db, tenant, hash, family, now);
    expect([actual.sql, actual.parameters]).toEqual([expected.sql, expected.parameters]);
  });
});
