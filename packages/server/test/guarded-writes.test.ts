import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { type GuardedWrite, GuardedWrites } from "../src/store/guarded-writes.js";
import { DEFAULT_TENANT } from "../src/store/schema.js";
import {
  getAccessTokenState,
  getRefreshToken,
  insertRefreshTokenQuery,
  recordAccessTokenQuery,
  spendRefreshTokenQuery,
} from "../src/store/tokens.js";
import { type FreshDatabase, testDatabases } from "./support/databases.js";

const databases = await testDatabases();

// The token writes of the code, device code and refresh grants: a compare-and-set guard and the
// rows it allows, all or nothing; on SQLite several requests' writes share one transaction.
describe.each(databases.filter((engine) => !engine.unavailable).map((engine) => [engine.name, engine] as const))(
  "guarded token writes on %s",
  (_, engine) => {
    let fresh: FreshDatabase;
    let database: WardDatabase;
    let writes: GuardedWrites;
    beforeAll(async () => {
      fresh = await engine.create();
      database = await openDatabase(fresh.url, fresh.options);
      writes = new GuardedWrites(database.db, database.sqlite);
    });
    afterAll(async () => {
      await database.close();
      await fresh.drop();
    });

    const refreshToken = async (hash: string) => {
      const row = {
        token_hash: hash,
        family_id: "fam_test",
        scope: "openid",
        created_at: Date.now(),
        spent_at: null,
        successor_sealed: null,
      };
      await database.db.executeQuery(insertRefreshTokenQuery(database.db, DEFAULT_TENANT, row));
    };
    /** Spends refresh token `hash` and, only then, records access token `jti`. */
    const spendAndIssue = (hash: string, jti: string): GuardedWrite => ({
      guard: spendRefreshTokenQuery(database.db, DEFAULT_TENANT, hash, Date.now(), null),
      statements: [
        recordAccessTokenQuery(database.db, DEFAULT_TENANT, {
          jti,
          family_id: "fam_test",
          client_id: "app",
          expires_at: Date.now() + 60_000,
        }),
      ],
    });
    const stored = async (jti: string) => (await getAccessTokenState(database.db, DEFAULT_TENANT, jti)) !== undefined;

    it("of two writes with the same guard in one batch, exactly one is applied; the other reports the lost guard and wrote nothing", async () => {
      await refreshToken("rt_race");
      const won = await Promise.all([
        writes.apply(spendAndIssue("rt_race", "at_race_1")),
        writes.apply(spendAndIssue("rt_race", "at_race_2")),
      ]);
      expect(won.filter(Boolean)).toHaveLength(1);
      expect([await stored("at_race_1"), await stored("at_race_2")]).toEqual(won);
      expect((await getRefreshToken(database.db, DEFAULT_TENANT, "rt_race"))?.spent_at).not.toBeNull();
    });

    it("a write whose statement fails is rolled back alone, its guard included, and rejects; the others commit", async () => {
      for (const hash of ["rt_a", "rt_b", "rt_c"]) await refreshToken(hash);
      await database.db.executeQuery(
        recordAccessTokenQuery(database.db, DEFAULT_TENANT, { jti: "at_taken", family_id: null, client_id: "app", expires_at: Date.now() }),
      );
      const results = await Promise.allSettled([
        writes.apply(spendAndIssue("rt_a", "at_a")),
        writes.apply(spendAndIssue("rt_b", "at_taken")),
        writes.apply(spendAndIssue("rt_c", "at_c")),
      ]);
      expect(results.map((result) => (result.status === "fulfilled" ? result.value : "rejected"))).toEqual([true, "rejected", true]);
      expect([await stored("at_a"), await stored("at_c")]).toEqual([true, true]);
      expect((await getRefreshToken(database.db, DEFAULT_TENANT, "rt_b"))?.spent_at).toBeNull();
      expect((await getRefreshToken(database.db, DEFAULT_TENANT, "rt_a"))?.spent_at).not.toBeNull();
    });

    it("a guard that matches no row (already spent, unknown) applies nothing", async () => {
      expect(await writes.apply(spendAndIssue("rt_unknown", "at_unknown"))).toBe(false);
      expect(await stored("at_unknown")).toBe(false);
    });

    it("drain() waits for writes not yet applied", async () => {
      await refreshToken("rt_drain");
      let applied: boolean | undefined;
      void writes.apply(spendAndIssue("rt_drain", "at_drain")).then((won) => {
        applied = won;
      });
      await writes.drain();
      expect(applied).toBe(true);
    });
  },
);
