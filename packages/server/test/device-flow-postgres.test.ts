import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "./support/browser.js";
import { type FreshDatabase, postgresOrSkip, searchPathUrl, testDatabases } from "./support/databases.js";
import { expectNoLostSlowDown, poll, reachDeviceConsent, seedDeviceClients, startDevice } from "./support/device.js";
import { seedFlowFixtures } from "./support/flow.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const engines = await testDatabases();

/** The device flow's compare-and-sets (poll pacing, one decision, one redemption) inside real PostgreSQL transactions. */
describe("device authorization grant on PostgreSQL", () => {
  const postgres = postgresOrSkip(engines);
  if (!postgres) return;
  let fresh: FreshDatabase;
  let t: TestWard;

  beforeAll(async () => {
    fresh = await postgres.create();
    const url = searchPathUrl(fresh);
    t = await startTestWard({ database: { url }, grants: { device_code: true }, device: { interval: 1 } });
    await seedFlowFixtures(t);
    await seedDeviceClients(t);
  });
  afterAll(async () => {
    await t?.stop();
    await fresh?.drop();
  });

  it("of parallel polls while pending, one is authorization_pending and the others slow_down, each adding 5 seconds", async () => {
    const device = await startDevice(t);
    const answers = await Promise.all([1, 2, 3, 4].map(() => poll(t, device.device_code)));
    const codes = answers.map((answer) => answer.body.code).sort();
    expect(codes).toEqual(["device_authorization_pending", "device_slow_down", "device_slow_down", "device_slow_down"]);
    const row = await t.ward.database.db
      .selectFrom("device_codes")
      .select("poll_interval")
      .orderBy("created_at", "desc")
      .executeTakeFirst();
    expect(row?.poll_interval).toBe(16);
  });

  it("a slow_down added by a parallel poll between another poll's read and its write is kept (no lost update)", async () => {
    await expectNoLostSlowDown(t);
  });

  it("once approved, parallel polls get tokens exactly once; the others are device_code_already_redeemed", async () => {
    const device = await startDevice(t, { scope: "offline_access notes:read" });
    const browser = new TestBrowser(t.publicUrl);
    expect((await browser.submit(await reachDeviceConsent(t, device.user_code, browser), {}, "Allow")).title).toBe("Device connected");
    const answers = await Promise.all([1, 2, 3].map(() => poll(t, device.device_code)));
    const issued = answers.filter((answer) => answer.status === 200);
    expect(issued).toHaveLength(1);
    expect(issued[0]?.body.refresh_token).toBeDefined();
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect(answer.body).toMatchObject({ error: "invalid_grant", code: "device_code_already_redeemed" });
    }
    const families = await t.ward.database.db.selectFrom("token_families").select("id").where("client_id", "=", "tv-app").execute();
    expect(families).toHaveLength(1);
  });
});
