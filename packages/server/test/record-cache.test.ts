import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordCache } from "../src/store/record-cache.js";
import { type FreshDatabase, postgresOrSkip, testDatabases } from "./support/databases.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const engines = await testDatabases();
const API = "https://api.example.test/cache";

async function expectCreated(response: Response): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBeLessThan(300);
  return body;
}

/** A resource with scope `notes:read` and a client_credentials client; the client's secret. */
async function seed(t: TestWard, clientId: string): Promise<string> {
  if ((await t.admin(`/admin/v1/resources/${encodeURIComponent(API)}`)).status === 404) {
    await expectCreated(
      await t.admin("/admin/v1/resources", { body: { uri: API, scopes: [{ name: "notes:read", description: "Read" }] } }),
    );
  }
  const client = await expectCreated(
    await t.admin("/admin/v1/clients", {
      body: {
        client_id: clientId,
        grant_types: ["client_credentials"],
        token_endpoint_auth_method: "client_secret_basic",
        scope: "notes:read",
      },
    }),
  );
  return client.client_secret as string;
}

async function token(t: TestWard, clientId: string, secret: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${t.publicUrl}/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` },
    body: new URLSearchParams({ grant_type: "client_credentials", scope: "notes:read", resource: API }),
  });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, code: body.code };
}

const rotate = async (t: TestWard, clientId: string) =>
  (await expectCreated(await t.admin(`/admin/v1/clients/${clientId}/rotate-secret`, { method: "POST" }))).client_secret as string;

describe("RecordCache", () => {
  it("keeps a record for its lifetime, then reads again", async () => {
    let now = 0;
    let reads = 0;
    const cache = new RecordCache<{ v: number }>(1000, () => now);
    const load = async () => ({ v: ++reads });
    expect(await cache.get("a", load)).toEqual({ v: 1 });
    now = 999;
    expect(await cache.get("a", load)).toEqual({ v: 1 });
    now = 1000;
    expect(await cache.get("a", load)).toEqual({ v: 2 });
  });

  it("never keeps a record that does not exist (a client created elsewhere is usable at once)", async () => {
    const cache = new RecordCache<{ v: number }>(60_000);
    expect(await cache.get("a", async () => undefined)).toBeUndefined();
    expect(await cache.get("a", async () => ({ v: 1 }))).toEqual({ v: 1 });
  });

  it("does not keep what a load read when an invalidation happened while it ran", async () => {
    const cache = new RecordCache<{ v: number }>(60_000);
    let release: () => void = () => {};
    const slow = cache.get("a", () => new Promise((resolve) => (release = () => resolve({ v: 1 }))));
    cache.forget("a");
    release();
    expect(await slow).toEqual({ v: 1 });
    expect(await cache.get("a", async () => ({ v: 2 }))).toEqual({ v: 2 });
  });

  it("hands out frozen records, so no caller can change what others read", async () => {
    const cache = new RecordCache<{ list: string[] }>(60_000);
    const record = await cache.get("a", async () => ({ list: ["x"] }));
    expect(() => record?.list.push("y")).toThrow(TypeError);
  });

  it("with a lifetime of 0 reads every time", async () => {
    let reads = 0;
    const cache = new RecordCache<{ v: number }>(0);
    await cache.get("a", async () => ({ v: ++reads }));
    await cache.get("a", async () => ({ v: ++reads }));
    expect(reads).toBe(2);
  });
});

describe("cached clients and resources: this instance's own admin writes apply at once", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard({ grants: { client_credentials: true }, database: { record_cache_ttl: 60 } });
  });
  afterAll(() => t.stop());

  it("a rotated secret: the old one is refused and the new one accepted on the next request", async () => {
    const secret = await seed(t, "rotating");
    expect((await token(t, "rotating", secret)).status).toBe(200);
    const fresh = await rotate(t, "rotating");
    expect(await token(t, "rotating", secret)).toEqual({ status: 401, code: "client_secret_invalid" });
    expect((await token(t, "rotating", fresh)).status).toBe(200);
  });

  it("an update removing the grant is enforced on the next request", async () => {
    const secret = await seed(t, "narrowed");
    expect((await token(t, "narrowed", secret)).status).toBe(200);
    await expectCreated(
      await t.admin("/admin/v1/clients/narrowed", {
        method: "PATCH",
        body: { grant_types: ["authorization_code"], redirect_uris: ["https://app.example.test/cb"] },
      }),
    );
    expect((await token(t, "narrowed", secret)).code).toBe("grant_type_not_allowed_for_client");
  });

  it("a deleted client is unknown on the next request", async () => {
    const secret = await seed(t, "deleted");
    expect((await token(t, "deleted", secret)).status).toBe(200);
    expect((await t.admin("/admin/v1/clients/deleted", { method: "DELETE" })).status).toBe(204);
    expect(await token(t, "deleted", secret)).toEqual({ status: 401, code: "client_unknown" });
  });

  it("a resource's scope change and its deletion are enforced on the next request", async () => {
    const secret = await seed(t, "reader");
    expect((await token(t, "reader", secret)).status).toBe(200);
    const path = `/admin/v1/resources/${encodeURIComponent(API)}`;
    await expectCreated(await t.admin(path, { method: "PATCH", body: { scopes: [{ name: "notes:write", description: "Write" }] } }));
    expect((await token(t, "reader", secret)).code).toBe("scope_not_declared_on_resource");
    expect((await t.admin(path, { method: "DELETE" })).status).toBe(204);
    expect((await token(t, "reader", secret)).code).toBe("resource_unknown");
  });
});

describe("cached clients: RFC 7592 client management applies at once on this instance", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard({ registration: { policy: "open" }, database: { record_cache_ttl: 60 } });
  });
  afterAll(() => t.stop());

  it("a client deleted through its registration_client_uri is unknown on the next token request", async () => {
    const response = await fetch(`${t.publicUrl}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "Cached", redirect_uris: ["https://app.example.test/cb"], token_endpoint_auth_method: "none" }),
    });
    const created = await expectCreated(response);
    const refresh = async () => {
      const answer = await fetch(`${t.publicUrl}/token`, {
        method: "POST",
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "unknown", client_id: created.client_id as string }),
      });
      return ((await answer.json()) as { code?: string }).code;
    };
    const known = await refresh();
    expect(known).not.toBe("client_unknown");
    const deleted = await fetch(created.registration_client_uri as string, {
      method: "DELETE",
      headers: { authorization: `Bearer ${created.registration_access_token as string}` },
    });
    expect(deleted.status).toBe(204);
    expect(await refresh()).toBe("client_unknown");
  });
});

/**
 * Two stateless instances on one PostgreSQL database, one clock the test moves: a change made through
 * one instance's admin API reaches the other within database.record_cache_ttl, never later.
 */
describe("cached clients across two instances on PostgreSQL (database.record_cache_ttl)", () => {
  const postgres = postgresOrSkip(engines);
  if (!postgres) return;
  const TTL = 5;
  let fresh: FreshDatabase;
  let a: TestWard;
  let b: TestWard;
  let clock = Date.now();
  const now = () => clock;

  beforeAll(async () => {
    fresh = await postgres.create();
    const database = { url: `${fresh.url}?options=${encodeURIComponent(`-c search_path=${fresh.options.schema}`)}`, record_cache_ttl: TTL };
    const shared = { database, grants: { client_credentials: true }, secrets: { master_key: randomBytes(32).toString("hex") } };
    a = await startTestWard(shared, { now });
    b = await startTestWard({ ...shared, server: { issuer: a.publicUrl } }, { now });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await fresh?.drop();
  });

  it("a client created on one instance is usable on the other at once", async () => {
    const secret = await seed(a, "created-on-a");
    expect((await token(b, "created-on-a", secret)).status).toBe(200);
  });

  it("a secret rotated through A: A refuses the old secret at once, B within the bound; B accepts the new one", async () => {
    const secret = await seed(a, "rotated-on-a");
    expect((await token(a, "rotated-on-a", secret)).status).toBe(200);
    expect((await token(b, "rotated-on-a", secret)).status).toBe(200);
    await rotate(a, "rotated-on-a");
    expect((await token(a, "rotated-on-a", secret)).code).toBe("client_secret_invalid");
    clock += TTL * 1000 - 1;
    // The documented propagation delay: B still holds the record it read, and no longer.
    expect((await token(b, "rotated-on-a", secret)).status).toBe(200);
    clock += 1;
    expect((await token(b, "rotated-on-a", secret)).code).toBe("client_secret_invalid");
  });

  it("a new secret works on B at once: a refusal by a cached record is confirmed against the database", async () => {
    const secret = await seed(a, "new-secret-on-b");
    expect((await token(b, "new-secret-on-b", secret)).status).toBe(200);
    const fresh = await rotate(a, "new-secret-on-b");
    expect((await token(b, "new-secret-on-b", fresh)).status).toBe(200);
    // B re-read the client for that refusal: the old secret is now refused there too.
    expect((await token(b, "new-secret-on-b", secret)).code).toBe("client_secret_invalid");
  });

  it("a client deleted through A is unknown on B within the bound", async () => {
    const secret = await seed(a, "deleted-on-a");
    expect((await token(b, "deleted-on-a", secret)).status).toBe(200);
    expect((await a.admin("/admin/v1/clients/deleted-on-a", { method: "DELETE" })).status).toBe(204);
    expect(await token(a, "deleted-on-a", secret)).toEqual({ status: 401, code: "client_unknown" });
    clock += TTL * 1000;
    expect(await token(b, "deleted-on-a", secret)).toEqual({ status: 401, code: "client_unknown" });
  });
});
