import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEvents, recordAuditEvent } from "../src/store/audit.js";
import { type ClientRecord, deleteClient, getClient, insertClient, listClients, updateClient } from "../src/store/clients.js";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { migrateToLatest } from "../src/store/migrate.js";
import { getResource, getResourceByUri, insertResource, listResources, updateResource } from "../src/store/resources.js";
import { DATA_TABLES, DEFAULT_TENANT } from "../src/store/schema.js";
import { getSetting, setSetting } from "../src/store/settings.js";
import { insertSigningKey, listSigningKeys, updateSigningKey } from "../src/store/signing-keys.js";
import { getUserByEmail, insertUser, listUsers, updateUser } from "../src/store/users.js";
import { testEngines } from "./support/databases.js";

const engines = await testEngines();
const T = DEFAULT_TENANT;

function client(id: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    client_id: id,
    client_secret_hash: "sha256:abc",
    client_name: "Test",
    redirect_uris: ["https://a.example/cb"],
    post_logout_redirect_uris: [],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    scope: "openid",
    jwks: null,
    jwks_uri: null,
    application_type: "web",
    skip_consent: true,
    created_at: 1_767_225_600_000,
    updated_at: 1_767_225_600_000,
    secret_rotated_at: null,
    ...overrides,
  };
}

for (const engine of engines) {
  describe.skipIf(engine.skip !== undefined)(`storage on ${engine.name}${engine.skip ? ` (skipped: ${engine.skip})` : ""}`, () => {
    let database: WardDatabase;
    let fresh: { url: string; schema?: string; drop(): Promise<void> };

    beforeAll(async () => {
      fresh = await engine.create();
      database = await openDatabase(fresh.url, { schema: fresh.schema });
    });
    afterAll(async () => {
      await database?.close();
      await fresh?.drop();
    });

    it("migrations are idempotent", async () => {
      await migrateToLatest(database.db);
      await migrateToLatest(database.db);
      const tenants = await database.db.selectFrom("tenants").selectAll().execute();
      expect(tenants.map((t) => t.id)).toEqual([T]);
    });

    it("every data table carries tenant_id", async () => {
      for (const table of DATA_TABLES) {
        const row = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where tenant_id is null`.execute(database.db);
        expect(Number(row.rows[0]?.n), table).toBe(0);
        const columns = (await database.db.introspection.getTables()).find((t) => t.name === table)?.columns.map((c) => c.name);
        expect(columns, table).toContain("tenant_id");
      }
    });

    it("round-trips clients with JSON arrays, booleans and bigint timestamps as numbers", async () => {
      await insertClient(database.db, T, client("c1"));
      const got = await getClient(database.db, T, "c1");
      expect(got).toEqual(client("c1"));
      expect(typeof got?.created_at).toBe("number");
      const updated = await updateClient(database.db, T, "c1", {
        redirect_uris: ["https://b.example/cb"],
        skip_consent: false,
        updated_at: 1_767_225_600_001,
      });
      expect(updated?.redirect_uris).toEqual(["https://b.example/cb"]);
      expect(updated?.skip_consent).toBe(false);
      expect(updated?.updated_at).toBe(1_767_225_600_001);
      expect((await listClients(database.db, T)).map((c) => c.client_id)).toEqual(["c1"]);
    });

    it("maps a duplicate client_id to client_id_taken and keeps the first row intact", async () => {
      const failure = await insertClient(database.db, T, client("c1", { client_name: "Impostor" })).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: "client_id_taken", message: "A client with client_id c1 already exists." });
      expect((await getClient(database.db, T, "c1"))?.client_name).toBe("Test");
    });

    it("deletes clients", async () => {
      await insertClient(database.db, T, client("c2"));
      expect(await deleteClient(database.db, T, "c2")).toBe(true);
      expect(await deleteClient(database.db, T, "c2")).toBe(false);
      expect(await getClient(database.db, T, "c2")).toBeUndefined();
    });

    it("round-trips resources and refuses a duplicate URI with the existing id", async () => {
      const resource = {
        id: "res_1",
        uri: "https://api.example/mcp",
        scopes: [{ name: "read", description: "Read" }],
        access_token_ttl: 900,
        created_at: 1,
        updated_at: 1,
      };
      await insertResource(database.db, T, resource);
      expect(await getResource(database.db, T, "res_1")).toEqual(resource);
      expect(await getResourceByUri(database.db, T, "https://api.example/mcp")).toEqual(resource);
      const failure = await insertResource(database.db, T, { ...resource, id: "res_2" }).catch((e: unknown) => e);
      expect(failure).toMatchObject({
        code: "resource_uri_taken",
        message: "A resource with uri https://api.example/mcp already exists (id res_1).",
      });
      expect((await listResources(database.db, T)).map((r) => r.id)).toEqual(["res_1"]);
      expect((await updateResource(database.db, T, "res_1", { access_token_ttl: 600 }))?.access_token_ttl).toBe(600);
    });

    it("keeps emails unique case-insensitively", async () => {
      const user = {
        id: "usr_1",
        email: "Ada@Example.com",
        password_hash: "scrypt$x",
        name: null,
        disabled: false,
        created_at: 1,
        updated_at: 1,
      };
      await insertUser(database.db, T, user);
      expect((await getUserByEmail(database.db, T, "ada@example.COM"))?.id).toBe("usr_1");
      const failure = await insertUser(database.db, T, { ...user, id: "usr_2", email: "ADA@example.com" }).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: "user_email_taken" });
      expect((await listUsers(database.db, T)).map((u) => u.id)).toEqual(["usr_1"]);
      expect((await updateUser(database.db, T, "usr_1", { disabled: true }))?.disabled).toBe(true);
    });

    it("guards key state changes so that only one of two racing promotions wins", async () => {
      const key = {
        kid: "k1",
        alg: "ES256",
        public_jwk: { kty: "EC" },
        private_jwk_encrypted: "v1.x",
        state: "next" as const,
        created_at: 1,
        activated_at: null,
        retired_at: null,
        publish_until: null,
      };
      await insertSigningKey(database.db, T, key);
      const results = await Promise.all([
        updateSigningKey(database.db, T, "k1", { state: "active", activated_at: 2 }, "next"),
        updateSigningKey(database.db, T, "k1", { state: "active", activated_at: 3 }, "next"),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await listSigningKeys(database.db, T))[0]).toMatchObject({ kid: "k1", state: "active" });
    });

    it("rolls back a transaction as a whole", async () => {
      const failure = await database.db
        .transaction()
        .execute(async (trx) => {
          await insertClient(trx, T, client("c3"));
          await insertClient(trx, T, client("c1"));
        })
        .catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: "client_id_taken" });
      expect(await getClient(database.db, T, "c3")).toBeUndefined();
    });

    it("stores settings and audit events", async () => {
      await setSetting(database.db, T, "a", "1");
      await setSetting(database.db, T, "a", "2");
      expect(await getSetting(database.db, T, "a")).toBe("2");
      await recordAuditEvent(database.db, T, { type: "client.created", actor: "admin", subject: "c1", data: { x: 1 } });
      const [event] = await listAuditEvents(database.db, T, 1);
      expect(event).toMatchObject({ type: "client.created", actor: "admin", subject: "c1", data: { x: 1 } });
    });
  });
}

describe("opening databases", () => {
  it("refuses an unsupported URL without echoing its password", async () => {
    const failure = await openDatabase("mysql://ward:hunter2@db/ward").catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "database_url_invalid" });
    expect((failure as Error).message).toBe(
      "database.url is mysql://ward:***@db/ward; expected sqlite:<path>, sqlite::memory: or postgres://user@host:port/database.",
    );
  });

  it("reports an unreachable PostgreSQL as database_unreachable, quickly", async () => {
    const started = Date.now();
    const failure = await openDatabase("postgres://postgres:pw@127.0.0.1:1/test").catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "database_unreachable" });
    expect((failure as Error).message).toContain("postgres://postgres:***@127.0.0.1:1/test");
    expect((failure as Error).message).not.toContain(":pw@");
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it("uses WAL for SQLite files and keeps data across reopen", async () => {
    const [sqlite] = engines;
    const fresh = await (sqlite as (typeof engines)[number]).create();
    const first = await openDatabase(fresh.url);
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(first.db);
    expect(mode.rows[0]?.journal_mode).toBe("wal");
    await insertClient(first.db, T, client("persisted"));
    await first.close();
    const second = await openDatabase(fresh.url);
    expect((await getClient(second.db, T, "persisted"))?.client_id).toBe("persisted");
    await second.close();
  });

  it("refuses a database migrated by a newer Ward", async () => {
    const [sqlite] = engines;
    const fresh = await (sqlite as (typeof engines)[number]).create();
    const first = await openDatabase(fresh.url);
    await sql`insert into kysely_migration (name, timestamp) values ('9999_future', '2030-01-01')`.execute(first.db);
    await first.close();
    const failure = await openDatabase(fresh.url).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "database_newer_than_ward" });
  });
});
