import { randomBytes } from "node:crypto";
import { compactVerify, createLocalJWKSet, type JWK } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { signCompactJws } from "../src/keys/jws.js";
import { KeyStore } from "../src/keys/keystore.js";
import { masterKeyFingerprint, open, seal } from "../src/keys/secret-box.js";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { DEFAULT_TENANT } from "../src/store/schema.js";

const opened: WardDatabase[] = [];
afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
});

async function setup(options: { algorithm?: "ES256" | "RS256" | "PS256" | "EdDSA"; lifetime?: number; publishAhead?: number } = {}) {
  const database = await openDatabase("sqlite::memory:");
  opened.push(database);
  let now = Date.UTC(2026, 0, 1);
  const masterKey = randomBytes(32);
  const make = (key = masterKey, algorithm = options.algorithm ?? "ES256") =>
    new KeyStore({
      db: database.db,
      tenantId: DEFAULT_TENANT,
      masterKey: key,
      algorithm,
      maxTokenLifetime: async () => options.lifetime ?? 3600,
      publishAheadSeconds: options.publishAhead ?? 0,
      now: () => now,
    });
  const store = make();
  await store.initialize();
  return { database, store, make, masterKey, advance: (ms: number) => (now += ms) };
}

async function signWith(store: KeyStore): Promise<string> {
  const { kid, alg, signer } = store.signingKey();
  return signCompactJws(signer, { alg, kid }, { sub: "x" });
}

describe("signing keys: generation", () => {
  for (const algorithm of ["ES256", "RS256", "PS256", "EdDSA"] as const) {
    it(`generates a working ${algorithm} key on first boot, verifiable through JWKS`, async () => {
      const { store } = await setup({ algorithm });
      const jwt = await signWith(store);
      const { protectedHeader } = await compactVerify(jwt, createLocalJWKSet(store.jwks()));
      expect(protectedHeader.alg).toBe(algorithm);
      const states = store
        .list()
        .map((k) => k.state)
        .sort();
      expect(states).toEqual(["active", "next"]);
    });
  }

  it("publishes only public key material", async () => {
    const { store } = await setup({ algorithm: "RS256" });
    for (const key of store.jwks().keys) {
      for (const privateField of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(privateField);
      expect(key.use).toBe("sig");
      expect(key.kid).toBeTruthy();
    }
  });

  it("stores private keys encrypted under the master key (no plaintext JWK at rest)", async () => {
    const { database, masterKey } = await setup();
    const rows = await database.db.selectFrom("signing_keys").selectAll().execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const sealed = row.private_jwk_encrypted ?? "";
      expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(Buffer.from(sealed.split(".")[2] ?? "", "base64url").toString("latin1")).not.toContain('"d"');
      expect(JSON.parse(row.public_jwk)).not.toHaveProperty("d");
      const context = `ward signing key\0${DEFAULT_TENANT}\0${row.kid}`;
      expect(JSON.parse(open(masterKey, sealed, context))).toHaveProperty("d");
      expect(() => open(masterKey, sealed, `ward signing key\0${DEFAULT_TENANT}\0another-kid`)).toThrow();
    }
  });

  it("keeps the same keys across restarts with the same master key", async () => {
    const { store, make } = await setup();
    const before = store.signingKey().kid;
    const again = make();
    await again.initialize();
    expect(again.signingKey().kid).toBe(before);
  });

  it("refuses to start with another master key: master_key_mismatch, nothing overwritten", async () => {
    const { make, masterKey, database } = await setup();
    const rowsBefore = await database.db.selectFrom("signing_keys").selectAll().execute();
    const other = make(randomBytes(32));
    const failure = await other.initialize().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "master_key_mismatch" });
    expect((failure as Error).message).toContain(masterKeyFingerprint(masterKey));
    expect(await database.db.selectFrom("signing_keys").selectAll().execute()).toEqual(rowsBefore);
  });

  it("replaces an unused next key when keys.algorithm changes; the active key keeps signing", async () => {
    const { store, make } = await setup({ algorithm: "ES256" });
    const active = store.signingKey().kid;
    const switched = make(undefined, "EdDSA");
    await switched.initialize();
    expect(switched.signingKey().kid).toBe(active);
    expect(switched.list().find((k) => k.state === "next")?.alg).toBe("EdDSA");
    await switched.rotate();
    expect(switched.signingKey().alg).toBe("EdDSA");
  });
});

describe("signing keys: rotation", () => {
  it("promotes the already-published next key, so a new key is in JWKS before it signs", async () => {
    const { store } = await setup();
    const next = store.list().find((k) => k.state === "next")?.kid;
    const jwksBefore = store.jwks().keys.map((k: JWK) => k.kid);
    expect(jwksBefore).toContain(next);
    await store.rotate();
    expect(store.signingKey().kid).toBe(next);
  });

  it("refuses to let a next key sign before it was published for keys.publish_ahead (key_rotation_too_early)", async () => {
    const { store, advance } = await setup({ publishAhead: 360 });
    const active = store.signingKey().kid;
    advance(300_000);
    const failure = await store.rotate().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "key_rotation_too_early" });
    expect((failure as Error).message).toContain("has been in /jwks.json for 300 s; it may only start signing after 360 s");
    expect(store.signingKey().kid).toBe(active);
    advance(60_000);
    await store.rotate();
    expect(store.signingKey().kid).not.toBe(active);
  });

  it("rotates at once with force (key compromise)", async () => {
    const { store } = await setup({ publishAhead: 360 });
    const active = store.signingKey().kid;
    await store.rotate({ force: true });
    expect(store.signingKey().kid).not.toBe(active);
  });

  it("keeps the retired key in JWKS until every token it signed has expired, then drops it", async () => {
    const { store, advance } = await setup({ lifetime: 3600 });
    const oldToken = await signWith(store);
    const oldKid = store.signingKey().kid;
    const { retired } = await store.rotate();
    expect(retired).toBe(oldKid);
    const retiredSummary = store.list().find((k) => k.kid === oldKid);
    expect(retiredSummary?.state).toBe("retired");
    expect(Date.parse(retiredSummary?.published_until ?? "")).toBe(Date.UTC(2026, 0, 1) + (3600 + 60 + 60) * 1000);
    await compactVerify(oldToken, createLocalJWKSet(store.jwks()));
    advance((3600 + 119) * 1000);
    await store.load();
    expect(store.jwks().keys.map((k: JWK) => k.kid)).toContain(oldKid);
    advance(2000);
    await store.load();
    expect(store.jwks().keys.map((k: JWK) => k.kid)).not.toContain(oldKid);
  });

  it("wipes the private part of a retired key", async () => {
    const { store, database } = await setup();
    const { retired } = await store.rotate();
    const row = await database.db.selectFrom("signing_keys").selectAll().where("kid", "=", retired).executeTakeFirstOrThrow();
    expect(row.private_jwk_encrypted).toBeNull();
  });

  it("rotates once when two instances hit the schedule at the same moment", async () => {
    const { store, make, advance } = await setup();
    const second = make();
    await second.initialize();
    advance(86_400_000);
    const results = await Promise.all([store.rotateIfDue(86_400_000), second.rotateIfDue(86_400_000)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    await store.load();
    expect(store.list().filter((k) => k.state === "active")).toHaveLength(1);
    expect(store.list().filter((k) => k.state === "next")).toHaveLength(1);
    expect(store.list().filter((k) => k.state === "retired")).toHaveLength(1);
  });

  it("rotates on schedule only once the active key is older than the interval", async () => {
    const { store, advance } = await setup();
    const first = store.signingKey().kid;
    expect(await store.rotateIfDue(86_400_000)).toBe(false);
    advance(86_400_000);
    expect(await store.rotateIfDue(86_400_000)).toBe(true);
    expect(store.signingKey().kid).not.toBe(first);
  });
});

describe("secret box (AES-256-GCM)", () => {
  it("round-trips and binds the context", () => {
    const key = randomBytes(32);
    const sealed = seal(key, "hello", "ctx-a");
    expect(open(key, sealed, "ctx-a")).toBe("hello");
    expect(() => open(key, sealed, "ctx-b")).toThrow();
    expect(() => open(randomBytes(32), sealed, "ctx-a")).toThrow();
    expect(seal(key, "hello", "ctx-a")).not.toBe(sealed);
  });
});
