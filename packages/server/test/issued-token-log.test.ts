import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents } from "../src/store/audit.js";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { GuardedWrites } from "../src/store/guarded-writes.js";
import { IssuedTokenLog, type IssuedTokenRecord } from "../src/store/issued-token-log.js";
import { DEFAULT_TENANT } from "../src/store/schema.js";
import { getAccessTokenState } from "../src/store/tokens.js";
import { type FreshDatabase, testDatabases } from "./support/databases.js";

const databases = await testDatabases();

const issued = (jti: string): IssuedTokenRecord => ({
  token: { jti, family_id: null, client_id: "svc", expires_at: Date.now() + 60_000 },
  audit: { type: "token.issued", actor: "svc", subject: "svc", data: { access_token_jti: jti } },
});

/**
 * Counts the atomic writes of a batch: on PostgreSQL the transactions Kysely opens and the
 * statements run on their own (a batch is one combined statement); on SQLite the batches
 * GuardedWrites runs, each holding Kysely's one connection for one synchronous transaction.
 */
function countAtomicWrites(database: WardDatabase): { count: number } {
  const counter = { count: 0 };
  const db = database.db;
  if (database.sqlite) {
    const original = db.connection.bind(db);
    db.connection = () => {
      counter.count++;
      return original();
    };
    return counter;
  }
  const original = db.transaction.bind(db);
  db.transaction = () => {
    counter.count++;
    return original();
  };
  const execute = db.executeQuery.bind(db);
  db.executeQuery = ((query: Parameters<typeof execute>[0]) => {
    counter.count++;
    return execute(query);
  }) as typeof db.executeQuery;
  return counter;
}

/** As the server makes it: on SQLite through GuardedWrites. */
const newLog = (database: WardDatabase) =>
  new IssuedTokenLog(database.db, DEFAULT_TENANT, database.sqlite ? new GuardedWrites(database.db, database.sqlite) : undefined);

describe.each(databases.filter((engine) => !engine.unavailable).map((engine) => [engine.name, engine] as const))(
  "standalone access tokens recorded by group commit on %s",
  (_, engine) => {
    let fresh: FreshDatabase;
    let database: WardDatabase;
    beforeAll(async () => {
      fresh = await engine.create();
      database = await openDatabase(fresh.url, fresh.options);
    });
    afterAll(async () => {
      await database.close();
      await fresh.drop();
    });

    it("writes the tokens of one event-loop turn in one atomic write and answers each only once its rows are stored", async () => {
      const log = newLog(database);
      const transactions = countAtomicWrites(database);
      const jtis = Array.from({ length: 100 }, (_, i) => `at_batch_${i}`);
      const states = await Promise.all(
        jtis.map((jti) => log.record(issued(jti)).then(() => getAccessTokenState(database.db, DEFAULT_TENANT, jti))),
      );
      expect(transactions.count).toBe(1);
      expect(states.every((state) => state !== undefined)).toBe(true);
      const audited = (await listAuditEvents(database.db, DEFAULT_TENANT, 1000, { type: "token.issued" })).map(
        (event) => event.data.access_token_jti,
      );
      expect(audited).toEqual(expect.arrayContaining(jtis));
    });

    it("fails only the request whose row cannot be written when a batch is refused", async () => {
      const log = newLog(database);
      await log.record(issued("at_taken"));
      const results = await Promise.allSettled([
        log.record(issued("at_fresh_1")),
        log.record(issued("at_taken")),
        log.record(issued("at_fresh_2")),
      ]);
      expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(await getAccessTokenState(database.db, DEFAULT_TENANT, "at_fresh_2")).toBeDefined();
    });

    it("drain() waits for what was recorded but not yet written", async () => {
      const log = newLog(database);
      let written = false;
      void log.record(issued("at_drained")).then(() => {
        written = true;
      });
      await log.drain();
      expect(written).toBe(true);
    });
  },
);
