import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyStore } from "../src/keys/keystore.js";
import { DEFAULT_TENANT, openDatabase, type WardDatabase } from "../src/store/index.js";
import { type FreshDatabase, postgresOrSkip, testDatabases } from "./support/databases.js";

const engines = await testDatabases();

/** Several Ward instances on one PostgreSQL database, each with its own connection pool. */
describe("signing keys shared by several instances (PostgreSQL)", () => {
  const postgres = postgresOrSkip(engines);
  if (!postgres) return;
  let fresh: FreshDatabase;
  const pools: WardDatabase[] = [];
  const masterKey = randomBytes(32);
  let now = Date.UTC(2026, 0, 1);

  const instance = async () => {
    const database = await openDatabase(fresh.url, fresh.options);
    pools.push(database);
    return new KeyStore({
      db: database.db,
      tenantId: DEFAULT_TENANT,
      masterKey,
      algorithm: "ES256",
      maxTokenLifetime: async () => 3600,
      publishAheadSeconds: 0,
      now: () => now,
    });
  };

  beforeAll(async () => {
    fresh = await postgres.create();
  });
  afterAll(async () => {
    for (const pool of pools) await pool.close();
    await fresh?.drop();
  });

  it("booting three instances at once leaves exactly one active and one next key", async () => {
    const stores = await Promise.all([instance(), instance(), instance()]);
    await Promise.all(stores.map((store) => store.initialize()));
    const kids = new Set(stores.map((store) => store.signingKey().kid));
    expect(kids.size).toBe(1);
    const states = stores[0]
      ?.list()
      .map((k) => k.state)
      .sort();
    expect(states).toEqual(["active", "next"]);
  });

  it("instances racing on the rotation schedule rotate once", async () => {
    const stores = await Promise.all([instance(), instance(), instance()]);
    await Promise.all(stores.map((store) => store.initialize()));
    now += 86_400_000;
    const rotated = await Promise.all(stores.map((store) => store.rotateIfDue(86_400_000)));
    expect(rotated.filter(Boolean)).toHaveLength(1);
    await Promise.all(stores.map((store) => store.load()));
    const states = stores[0]
      ?.list()
      .map((k) => k.state)
      .sort();
    expect(states).toEqual(["active", "next", "retired"]);
    expect(new Set(stores.map((store) => store.signingKey().kid)).size).toBe(1);
  });

  it("two admins rotating at the same moment: one rotation, the other gets key_rotation_conflict", async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    await Promise.all([a?.initialize(), b?.initialize()]);
    const results = await Promise.allSettled([a?.rotate(), b?.rotate()]);
    const failures = results
      .filter((r): r is PromiseRejectedResult => r.status === "rejected")
      .map((r) => (r.reason as { code?: string }).code);
    // Either they overlapped (one conflict) or ran one after the other (two clean rotations).
    expect(failures.every((code) => code === "key_rotation_conflict")).toBe(true);
    await a?.load();
    expect(a?.list().filter((k) => k.state === "active")).toHaveLength(1);
    expect(a?.list().filter((k) => k.state === "next")).toHaveLength(1);
  });
});
