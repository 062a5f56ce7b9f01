import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventQuery } from "../src/store/audit.js";
import { claimAuthorizationCodeQuery } from "../src/store/codes.js";
import { combineWrites, MAX_PARAMETERS } from "../src/store/combined-write.js";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { claimDeviceCodeQuery } from "../src/store/device-codes.js";
import { GuardedWrites } from "../src/store/guarded-writes.js";
import { Kysely, PostgresDialect } from "../src/store/kysely.js";
import { type Database, DEFAULT_TENANT } from "../src/store/schema.js";
import {
  getAccessTokenState,
  getRefreshToken,
  insertRefreshTokenQuery,
  insertTokenFamilyQuery,
  recordAccessTokenQuery,
  spendRefreshTokenQuery,
  touchTokenFamilyQuery,
} from "../src/store/tokens.js";
import { type FreshDatabase, testDatabases } from "./support/databases.js";

/** Compiles as the server does on PostgreSQL; never connects. */
const pg = new Kysely<Database>({ dialect: new PostgresDialect({ pool: {} as never }) });
const T = DEFAULT_TENANT;
const family = {
  id: "fam_1",
  client_id: "app",
  user_id: "usr_1",
  session_id: null,
  scope: "openid",
  resource: null,
  auth_time: 1,
  amr: ["pwd"],
  created_at: 1,
  expires_at: 2,
  last_used_at: 1,
  revoked_at: null,
  revoked_reason: null,
  dpop_jkt: null,
};
const refresh = { token_hash: "rt_new", family_id: "fam_1", scope: "openid", created_at: 1, spent_at: null, successor_sealed: null };
const access = { jti: "at_1", family_id: "fam_1", client_id: "app", expires_at: 2 };

describe("a guarded write as one PostgreSQL statement (combined-write.ts)", () => {
  it("conditions every statement on the guard and numbers the parameters in order", () => {
    const guard = spendRefreshTokenQuery(pg, T, "rt_old", 5, null);
    const combined = combineWrites(guard, [touchTokenFamilyQuery(pg, T, "fam_1", 5), recordAccessTokenQuery(pg, T, access)]);
    expect(combined?.sql).toBe(
      'with "guard" as (update "refresh_tokens" set "spent_at" = $1, "successor_sealed" = $2 where "tenant_id" = $3 and "token_hash" = $4 and "spent_at" is null returning 1), ' +
        '"w1" as (update "token_families" set "last_used_at" = $5 where ("tenant_id" = $6 and "id" = $7) and exists (select 1 from "guard")), ' +
        '"w2" as (insert into "access_tokens" ("tenant_id", "jti", "family_id", "client_id", "expires_at", "revoked_at") select $8, $9, $10, $11, $12, $13 where exists (select 1 from "guard")) ' +
        'select count(*)::int as "won" from "guard"',
    );
    expect(combined?.parameters).toEqual([5, null, T, "rt_old", 5, T, "fam_1", T, "at_1", "fam_1", "app", 2, null]);
    // The same shapes again (the SQL is remembered): this write's own values.
    const again = combineWrites(spendRefreshTokenQuery(pg, T, "rt_2", 9, "sealed"), [
      touchTokenFamilyQuery(pg, T, "fam_2", 9),
      recordAccessTokenQuery(pg, T, { ...access, jti: "at_2" }),
    ]);
    expect(again?.sql).toBe(combined?.sql);
    expect(again?.parameters).toEqual([9, "sealed", T, "rt_2", 9, T, "fam_2", T, "at_2", "fam_1", "app", 2, null]);
  });

  it("combines every write of the code, device code and refresh grants (each would otherwise cost a round trip per statement)", () => {
    const tokenWrites = [
      insertTokenFamilyQuery(pg, T, family),
      touchTokenFamilyQuery(pg, T, "fam_1", 5),
      insertRefreshTokenQuery(pg, T, refresh),
      recordAccessTokenQuery(pg, T, access),
      auditEventQuery(pg, T, { type: "token.issued", actor: "app", subject: "usr_1", data: { a: 1 } }),
    ];
    for (const guard of [
      claimAuthorizationCodeQuery(pg, T, "code_hash", "fam_1", 5),
      claimDeviceCodeQuery(pg, T, "device_hash", "fam_1", 5),
      spendRefreshTokenQuery(pg, T, "rt_old", 5, "sealed"),
    ]) {
      expect(combineWrites(guard, tokenWrites)).toBeDefined();
    }
    const rows = [access, { ...access, jti: "at_2" }].map((row) => ({ tenant_id: T, ...row, revoked_at: null }));
    expect(combineWrites(undefined, [pg.insertInto("access_tokens").values(rows).compile()])?.sql).toMatch(
      /^with "w1" as \(insert into .* values \(\$1.*\), \(\$7.*\)\) select 1 as "won"$/,
    );
  });

  it("refuses shapes it does not know, so the caller falls back to a transaction", () => {
    const guard = spendRefreshTokenQuery(pg, T, "rt_old", 5, null);
    const returning = pg.updateTable("refresh_tokens").set({ spent_at: 5 }).where("token_hash", "=", "x").returning("token_hash").compile();
    const subquerySet = pg
      .updateTable("token_families")
      .set((eb) => ({ last_used_at: eb.selectFrom("refresh_tokens").select("created_at").where("token_hash", "=", "x") }))
      .where("id", "=", "fam_1")
      .compile();
    const deletion = pg.deleteFrom("access_tokens").where("jti", "=", "x").compile();
    const twoRows = pg
      .insertInto("access_tokens")
      .values([1, 2].map((n) => ({ tenant_id: T, jti: `at_${n}`, client_id: "app", expires_at: 2 })))
      .compile();
    expect(combineWrites(returning, [recordAccessTokenQuery(pg, T, access)])).toBeUndefined();
    expect(combineWrites(guard, [subquerySet])).toBeUndefined();
    expect(combineWrites(guard, [deletion])).toBeUndefined();
    expect(combineWrites(guard, [twoRows])).toBeUndefined();
    expect(combineWrites(undefined, [])).toBeUndefined();
  });

  it("leaves a batch past MAX_PARAMETERS to the transaction (PostgreSQL takes at most 65535 per statement)", () => {
    const chunk = (start: number) =>
      pg
        .insertInto("access_tokens")
        .values(Array.from({ length: 64 }, (_, i) => ({ tenant_id: T, jti: `at_${start + i}`, client_id: "app", expires_at: 2 })))
        .compile(); // 256 parameters
    const fits = Array.from({ length: Math.floor(MAX_PARAMETERS / 256) }, (_, i) => chunk(i * 64));
    expect(combineWrites(undefined, fits)).toBeDefined();
    expect(combineWrites(undefined, [...fits, chunk(1e6)])).toBeUndefined();
  });
});

const postgres = (await testDatabases()).find((engine) => engine.name === "PostgreSQL" && !engine.unavailable);

describe.runIf(postgres)("a guarded write on PostgreSQL whose shape cannot be combined", () => {
  let fresh: FreshDatabase;
  let database: WardDatabase;
  beforeAll(async () => {
    fresh = await (postgres as NonNullable<typeof postgres>).create();
    database = await openDatabase(fresh.url, fresh.options);
  });
  afterAll(async () => {
    await database.close();
    await fresh.drop();
  });

  it("runs in a transaction instead: applied once, and a second try reports the lost guard", async () => {
    await database.db.executeQuery(insertRefreshTokenQuery(database.db, T, { ...refresh, token_hash: "rt_fallback" }));
    const writes = new GuardedWrites(database.db, undefined);
    const write = () => ({
      guard: database.db
        .updateTable("refresh_tokens")
        .set({ spent_at: Date.now() })
        .where("tenant_id", "=", T)
        .where("token_hash", "=", "rt_fallback")
        .where("spent_at", "is", null)
        .returning("token_hash")
        .compile(),
      statements: [recordAccessTokenQuery(database.db, T, { ...access, jti: "at_fallback" })],
    });
    expect(await writes.apply(write())).toBe(true);
    expect(await getAccessTokenState(database.db, T, "at_fallback")).toBeDefined();
    expect((await getRefreshToken(database.db, T, "rt_fallback"))?.spent_at).not.toBeNull();
    await expect(writes.apply({ ...write(), statements: [] })).resolves.toBe(false);
  });
});
