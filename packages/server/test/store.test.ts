import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WardError } from "@ward/core";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAuthorizationCode, getAuthorizationCodeAndUser, insertAuthorizationCode } from "../src/store/codes.js";
import {
  ALL_TABLES,
  type ClientRecord,
  DATA_TABLES,
  type Database,
  DEFAULT_TENANT,
  deleteClient,
  deleteResource,
  deleteSigningKey,
  deleteUser,
  getClient,
  getResource,
  getResourceByUri,
  getSetting,
  getUser,
  getUserByEmail,
  insertClient,
  insertResource,
  insertSigningKey,
  insertUser,
  isUniqueViolation,
  listAuditEvents,
  listClients,
  listResources,
  listSigningKeys,
  listUsers,
  migrateToLatest,
  migrations,
  openDatabase,
  type ResourceRecord,
  recordAuditEvent,
  type SigningKeyRecord,
  setClientSecretHash,
  setSetting,
  transaction,
  type UserRecord,
  updateClient,
  updateResource,
  updateSigningKey,
  updateUser,
  WARD_VERSION,
  type WardDatabase,
} from "../src/store/index.js";
import { claimPushedRequest, deleteExpiredPushedRequests, getPushedRequest, insertPushedRequest } from "../src/store/pushed-requests.js";
import { getRefreshTokenGrant, insertRefreshTokenQuery, insertTokenFamilyQuery } from "../src/store/tokens.js";
import {
  deleteTrustedIssuer,
  getTrustedIssuer,
  getTrustedIssuerByIssuer,
  insertTrustedIssuer,
  listTrustedIssuers,
  type TrustedIssuerRecord,
} from "../src/store/trusted-issuers.js";
import { type FreshDatabase, testDatabases } from "./support/databases.js";

const databases = await testDatabases();
const T = DEFAULT_TENANT;
/** Above 2^31: a timestamp squeezed into int4, or returned as an int8 string, would show. */
const NOW = 1_767_225_600_000;

async function failure(promise: Promise<unknown>): Promise<WardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WardError)) throw new Error(`expected a WardError, got ${error instanceof Error ? error.stack : String(error)}`);
  return error;
}

function client(id: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    client_id: id,
    client_secret_hash: "sha256:abc",
    client_secret_expires_at: null,
    client_name: "Test",
    redirect_uris: ["https://a.example/cb", "http://127.0.0.1/cb"],
    post_logout_redirect_uris: [],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    scope: "openid read",
    jwks: null,
    jwks_uri: null,
    application_type: "web",
    skip_consent: true,
    created_at: NOW,
    updated_at: NOW,
    secret_rotated_at: null,
    access_token_ttl: null,
    id_token_ttl: null,
    refresh_token_ttl: null,
    require_pushed_authorization_requests: false,
    dpop_bound_access_tokens: false,
    ...overrides,
  };
}

function resource(id: string, uri: string, overrides: Partial<ResourceRecord> = {}): ResourceRecord {
  return {
    id,
    uri,
    scopes: [
      { name: "read", description: "Read your files" },
      { name: "write", description: "Change your files" },
    ],
    access_token_ttl: 900,
    introspection_clients: [],
    dpop_required: false,
    token_exchange_clients: ["svc-a"],
    may_act: "svc-a",
    created_at: NOW,
    updated_at: NOW,
    ...overrides,
  };
}

function user(id: string, email: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id,
    email,
    password_hash: "scrypt$x",
    name: null,
    disabled: false,
    created_at: NOW,
    updated_at: NOW,
    totp_secret_encrypted: null,
    totp_confirmed_at: null,
    totp_last_step: null,
    recovery_codes: [],
    ...overrides,
  };
}

function signingKey(kid: string, state: SigningKeyRecord["state"], created_at = NOW): SigningKeyRecord {
  return {
    kid,
    alg: "ES256",
    public_jwk: { kty: "EC", crv: "P-256", x: "x", y: "y", kid },
    private_jwk_encrypted: "v1.sealed",
    state,
    created_at,
    activated_at: state === "active" ? created_at : null,
    retired_at: null,
    publish_until: null,
  };
}

const count = async (db: Kysely<Database>, table: (typeof ALL_TABLES)[number]) =>
  Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe.each(databases.map((engine) => [engine.name, engine] as const))("storage on %s", (_, engine) => {
  if (engine.unavailable) {
    if (engine.required) {
      it(`${engine.name} must be reachable under CI=true`, () => {
        throw new Error(`${engine.unavailable}. CI=true runs the storage suite on ${engine.name}; .ci/run starts it.`);
      });
    } else {
      it.skip(`skipped: ${engine.unavailable}`, () => {});
    }
    return;
  }

  const created: FreshDatabase[] = [];
  const opened: WardDatabase[] = [];
  let fresh: FreshDatabase;
  let database: WardDatabase;
  let db: Kysely<Database>;

  async function open(target?: FreshDatabase): Promise<WardDatabase> {
    const where = target ?? (await engine.create());
    if (!target) created.push(where);
    const opening = await openDatabase(where.url, where.options);
    opened.push(opening);
    return opening;
  }

  /** Tables of this database only (Kysely's introspection lists every schema on PostgreSQL). */
  async function tables(on: Kysely<Database>) {
    const schema = fresh.options.schema;
    return (await on.introspection.getTables()).filter((table) => schema === undefined || table.schema === schema);
  }

  /** The first column of each unique index (the primary key included) of a table. */
  async function uniqueIndexLeads(table: string): Promise<{ primary: boolean; column: string }[]> {
    if (engine.dialect === "sqlite") {
      const rows = await sql<{ origin: string; lead: string }>`
        select il.origin as origin, ii.name as lead from pragma_index_list(${table}) as il
        join pragma_index_info(il.name) as ii where il."unique" = 1 and ii.seqno = 0`.execute(db);
      return rows.rows.map((row) => ({ primary: row.origin === "pk", column: row.lead }));
    }
    const rows = await sql<{ is_primary: boolean; lead: string }>`
      select i.indisprimary as is_primary, a.attname as lead from pg_index i
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = to_regclass(${table}::text) and i.indisunique`.execute(db);
    return rows.rows.map((row) => ({ primary: row.is_primary, column: row.lead }));
  }

  beforeAll(async () => {
    fresh = await engine.create();
    created.push(fresh);
    database = await open(fresh);
    db = database.db;
  });

  afterAll(async () => {
    for (const each of opened) await each.close().catch(() => undefined);
    for (const each of created) await each.drop();
  });

  describe("migrations", () => {
    it("are idempotent: running them again, or reopening, changes nothing", async () => {
      expect(database.dialect).toBe(engine.dialect);
      const before = (await tables(db)).map((t) => t.name).sort();
      await migrateToLatest(db);
      await migrateToLatest(db);
      const again = await open(fresh);
      expect((await tables(again.db)).map((t) => t.name).sort()).toEqual(before);
      expect(await db.selectFrom("tenants").select(["id", "name"]).execute()).toEqual([{ id: T, name: "Default" }]);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
      expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(migrations));
    });

    it("roll a failed migration back entirely and name it in database_migration_failed", async () => {
      const other = await open();
      const broken = {
        ...migrations,
        "9998_broken": {
          up: async (trx: Kysely<unknown>) => {
            await trx.schema.createTable("half_done").addColumn("x", "integer").execute();
            throw new Error("boom");
          },
        },
      };
      const error = await failure(migrateToLatest(other.db, broken));
      expect(error.code).toBe("database_migration_failed");
      expect(error.message).toBe("Migration 9998_broken failed: boom. No later migration ran.");
      expect((await tables(other.db)).map((t) => t.name)).not.toContain("half_done");
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(other.db);
      expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(migrations));
    });

    it("refuse a database that a newer Ward migrated (database_newer_than_ward)", async () => {
      const target = await engine.create();
      created.push(target);
      const first = await open(target);
      await sql`insert into kysely_migration (name, timestamp) values ('9999_future', '2030-01-01T00:00:00.000Z')`.execute(first.db);
      const error = await failure(openDatabase(target.url, target.options));
      expect(error.code).toBe("database_newer_than_ward");
      expect(error.message).toBe(`The database has migration 9999_future, which this Ward version (${WARD_VERSION}) does not know.`);
      expect((await failure(migrateToLatest(first.db))).code).toBe("database_newer_than_ward");
    });
  });

  describe("schema", () => {
    it("has exactly the documented tables", async () => {
      expect((await tables(db)).map((t) => t.name).sort()).toEqual([...ALL_TABLES].sort());
    });

    it("puts tenant_id, not null, first in every table's primary key and unique constraints", async () => {
      const all = await tables(db);
      for (const name of DATA_TABLES) {
        const tenantColumn = all.find((t) => t.name === name)?.columns.find((c) => c.name === "tenant_id");
        expect(tenantColumn, name).toMatchObject({ isNullable: false });
        const leads = await uniqueIndexLeads(name);
        expect(
          leads.filter((lead) => lead.primary),
          name,
        ).toHaveLength(1);
        for (const lead of leads) expect(lead.column, `${name} unique index`).toBe("tenant_id");
      }
    });

    it("indexes audit events by (tenant_id, created_at)", async () => {
      const columns =
        engine.dialect === "sqlite"
          ? (await sql<{ name: string }>`select name from pragma_index_info('audit_events_created') order by seqno`.execute(db)).rows.map(
              (row) => row.name,
            )
          : (
              await sql<{ name: string }>`
                select a.attname as name from pg_index i
                join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                where i.indexrelid = to_regclass('audit_events_created')
                order by array_position(i.indkey::int2[], a.attnum)`.execute(db)
            ).rows.map((row) => row.name);
      expect(columns).toEqual(["tenant_id", "created_at"]);
    });

    it("returns bigint timestamps and counts as JS numbers", async () => {
      await insertClient(db, T, client("ts_probe", { created_at: NOW + 1, secret_rotated_at: NOW + 2 }));
      const row = await db
        .selectFrom("clients")
        .select(["created_at", "secret_rotated_at"])
        .where("client_id", "=", "ts_probe")
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ created_at: NOW + 1, secret_rotated_at: NOW + 2 });
      const counted = await db
        .selectFrom("clients")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      expect(typeof counted.n).toBe("number");
      expect(await deleteClient(db, T, "ts_probe")).toBe(true);
      if (engine.dialect === "postgres") {
        // The int8 parser is the pool's own: pg's global parser still returns strings.
        expect(pg.types.getTypeParser(20)("5")).toBe("5");
      }
    });
  });

  describe("clients", () => {
    it("round-trip with JSON arrays, JSON objects, booleans and null", async () => {
      const jwks = { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", use: "sig" }] };
      const c0 = client("c0", {
        created_at: NOW + 10,
        skip_consent: false,
        jwks,
        application_type: "native",
        require_pushed_authorization_requests: true,
      });
      await insertClient(db, T, client("c1"));
      await insertClient(db, T, c0);
      expect(await getClient(db, T, "c1")).toEqual(client("c1"));
      expect(await getClient(db, T, "c0")).toEqual(c0);
      expect(await getClient(db, T, "nope")).toBeUndefined();
    });

    it("list in creation order, then client_id, with optional limit and offset", async () => {
      await insertClient(db, T, client("c2", { created_at: NOW }));
      expect((await listClients(db, T)).map((c) => c.client_id)).toEqual(["c1", "c2", "c0"]);
      expect((await listClients(db, T, { limit: 2 })).map((c) => c.client_id)).toEqual(["c1", "c2"]);
      expect((await listClients(db, T, { limit: 1, offset: 1 })).map((c) => c.client_id)).toEqual(["c2"]);
      expect((await listClients(db, T, { offset: 2 })).map((c) => c.client_id)).toEqual(["c0"]);
    });

    it("update only the given fields and stamp updated_at", async () => {
      const before = Date.now();
      const updated = await updateClient(db, T, "c1", { redirect_uris: ["https://b.example/cb"], skip_consent: false, jwks_uri: null });
      expect(updated).toEqual({
        ...client("c1"),
        redirect_uris: ["https://b.example/cb"],
        skip_consent: false,
        updated_at: updated?.updated_at,
      });
      expect(updated?.updated_at).toBeGreaterThanOrEqual(before);
      expect((await updateClient(db, T, "c1", { client_name: null, updated_at: NOW + 5 }))?.updated_at).toBe(NOW + 5);
      expect(await updateClient(db, T, "nope", { client_name: "x" })).toBeUndefined();
    });

    it("replace and remove the secret hash", async () => {
      expect(await setClientSecretHash(db, T, "c1", "sha256:new", { now: NOW + 20, expiresAt: NOW + 1000 })).toBe(true);
      expect(await getClient(db, T, "c1")).toMatchObject({
        client_secret_hash: "sha256:new",
        client_secret_expires_at: NOW + 1000,
        secret_rotated_at: NOW + 20,
        updated_at: NOW + 20,
      });
      expect(await setClientSecretHash(db, T, "c1", null)).toBe(true);
      expect(await getClient(db, T, "c1")).toMatchObject({
        client_secret_hash: null,
        client_secret_expires_at: null,
        secret_rotated_at: null,
      });
      expect(await setClientSecretHash(db, T, "nope", "sha256:x")).toBe(false);
    });

    it("delete", async () => {
      expect(await deleteClient(db, T, "c2")).toBe(true);
      expect(await deleteClient(db, T, "c2")).toBe(false);
      expect(await getClient(db, T, "c2")).toBeUndefined();
    });
  });

  describe("resources", () => {
    it("round-trip scopes as JSON and look up by id and by exact URI", async () => {
      await insertResource(db, T, resource("res_1", "https://api.example/mcp"));
      await insertResource(db, T, resource("res_2", "https://api.example/mcp/", { created_at: NOW + 1, scopes: [] }));
      expect(await getResource(db, T, "res_1")).toEqual(resource("res_1", "https://api.example/mcp"));
      expect((await getResourceByUri(db, T, "https://api.example/mcp/"))?.id).toBe("res_2");
      expect((await getResourceByUri(db, T, "https://api.example/mcp/"))?.scopes).toEqual([]);
      expect(await getResourceByUri(db, T, "https://API.example/mcp")).toBeUndefined();
      expect((await listResources(db, T)).map((r) => r.id)).toEqual(["res_1", "res_2"]);
    });

    it("update fields and stamp updated_at", async () => {
      const before = Date.now();
      const updated = await updateResource(db, T, "res_1", { access_token_ttl: 600, scopes: [{ name: "read", description: "Read" }] });
      expect(updated).toMatchObject({
        access_token_ttl: 600,
        scopes: [{ name: "read", description: "Read" }],
        uri: "https://api.example/mcp",
      });
      expect(updated?.updated_at).toBeGreaterThanOrEqual(before);
      expect(await updateResource(db, T, "nope", { access_token_ttl: 60 })).toBeUndefined();
    });

    it("delete", async () => {
      await insertResource(db, T, resource("res_del", "https://del.example"));
      expect(await deleteResource(db, T, "res_del")).toBe(true);
      expect(await deleteResource(db, T, "res_del")).toBe(false);
    });
  });

  describe("trusted issuers", () => {
    const issuer = (id: string, iss: string): TrustedIssuerRecord => ({
      id,
      issuer: iss,
      jwks: null,
      jwks_uri: `${iss}/jwks`,
      client_ids: ["agent"],
      resources: ["https://api.example/mcp"],
      subject_mapping: "email",
      created_at: NOW,
    });

    it("round-trip, look up by exact issuer, refuse a second entry for one issuer, delete", async () => {
      await insertTrustedIssuer(db, T, issuer("tis_1", "https://idp.example"));
      expect(await getTrustedIssuer(db, T, "tis_1")).toEqual(issuer("tis_1", "https://idp.example"));
      expect((await getTrustedIssuerByIssuer(db, T, "https://idp.example"))?.id).toBe("tis_1");
      expect(await getTrustedIssuerByIssuer(db, T, "https://idp.example/")).toBeUndefined();
      const taken = await insertTrustedIssuer(db, T, issuer("tis_2", "https://idp.example")).catch((e: unknown) => e);
      expect((taken as WardError).code).toBe("trusted_issuer_taken");
      expect((await listTrustedIssuers(db, T)).map((r) => r.id)).toEqual(["tis_1"]);
      expect(await deleteTrustedIssuer(db, T, "tis_1")).toBe(true);
      expect(await deleteTrustedIssuer(db, T, "tis_1")).toBe(false);
    });
  });

  describe("users", () => {
    it("store the email as given and find it normalized", async () => {
      await insertUser(db, T, user("usr_1", " Ada@Example.com"));
      expect(await getUser(db, T, "usr_1")).toEqual(user("usr_1", " Ada@Example.com"));
      expect((await getUserByEmail(db, T, "ada@example.COM  "))?.id).toBe("usr_1");
      expect(await getUserByEmail(db, T, "bob@example.com")).toBeUndefined();
    });

    it("update name, password hash, disabled and email; list in creation order", async () => {
      await insertUser(db, T, user("usr_2", "bob@example.com", { created_at: NOW + 1, name: "Bob" }));
      const updated = await updateUser(db, T, "usr_2", {
        disabled: true,
        name: null,
        password_hash: "scrypt$y",
        email: "Robert@example.com",
      });
      expect(updated).toMatchObject({ disabled: true, name: null, password_hash: "scrypt$y", email: "Robert@example.com" });
      expect((await getUserByEmail(db, T, "robert@EXAMPLE.com"))?.id).toBe("usr_2");
      expect(await getUserByEmail(db, T, "bob@example.com")).toBeUndefined();
      expect((await listUsers(db, T)).map((u) => [u.id, u.disabled])).toEqual([
        ["usr_1", false],
        ["usr_2", true],
      ]);
      expect(await updateUser(db, T, "nope", { name: "x" })).toBeUndefined();
    });

    it("delete", async () => {
      expect(await deleteUser(db, T, "usr_2")).toBe(true);
      expect(await deleteUser(db, T, "usr_2")).toBe(false);
      expect(await getUser(db, T, "usr_2")).toBeUndefined();
    });
  });

  describe("unique conflicts map to catalog errors and write nothing", () => {
    it("client_id_taken", async () => {
      const before = await count(db, "clients");
      const error = await failure(insertClient(db, T, client("c1", { client_name: "Impostor" })));
      expect(error.code).toBe("client_id_taken");
      expect(error.message).toBe("A client with client_id c1 already exists.");
      expect((await getClient(db, T, "c1"))?.client_name).toBeNull();
      expect(await count(db, "clients")).toBe(before);
    });

    it("resource_uri_taken on insert and on update, naming the holder", async () => {
      const before = await count(db, "resources");
      const onInsert = await failure(insertResource(db, T, resource("res_3", "https://api.example/mcp")));
      expect(onInsert.code).toBe("resource_uri_taken");
      expect(onInsert.message).toBe("A resource with uri https://api.example/mcp already exists (id res_1).");
      expect(await getResource(db, T, "res_3")).toBeUndefined();
      const onUpdate = await failure(updateResource(db, T, "res_2", { uri: "https://api.example/mcp", access_token_ttl: 61 }));
      expect(onUpdate.message).toBe("A resource with uri https://api.example/mcp already exists (id res_1).");
      expect(await getResource(db, T, "res_2")).toMatchObject({ uri: "https://api.example/mcp/", access_token_ttl: 900 });
      expect(await count(db, "resources")).toBe(before);
    });

    it("user_email_taken case-insensitively, on insert and on update, naming the holder", async () => {
      await insertUser(db, T, user("usr_3", "carol@example.com", { created_at: NOW + 2 }));
      const before = await count(db, "users");
      const onInsert = await failure(insertUser(db, T, user("usr_4", "ADA@example.com")));
      expect(onInsert.code).toBe("user_email_taken");
      expect(onInsert.message).toBe("A user with email ADA@example.com already exists (id usr_1).");
      const onUpdate = await failure(updateUser(db, T, "usr_3", { email: "ada@EXAMPLE.com", name: "Carol" }));
      expect(onUpdate.message).toBe("A user with email ada@EXAMPLE.com already exists (id usr_1).");
      expect(await getUser(db, T, "usr_3")).toMatchObject({ email: "carol@example.com", name: null });
      expect(await count(db, "users")).toBe(before);
    });

    it("inside a transaction: a caught conflict leaves the transaction usable", async () => {
      const outcome = await transaction(db, async (trx) => {
        const caught = await failure(insertUser(trx, T, user("usr_5", "ada@example.com")));
        await insertClient(trx, T, client("c_after_conflict"));
        return caught.code;
      });
      expect(outcome).toBe("user_email_taken");
      expect(await getClient(db, T, "c_after_conflict")).toBeDefined();
      expect(await getUser(db, T, "usr_5")).toBeUndefined();
    });

    it("inside a transaction: an uncaught conflict rolls the whole transaction back", async () => {
      const error = await failure(
        transaction(db, async (trx) => {
          await insertClient(trx, T, client("c3"));
          await recordAuditEvent(trx, T, { type: "client.created", actor: "admin", subject: "c3" });
          await insertClient(trx, T, client("c1"));
        }),
      );
      expect(error.code).toBe("client_id_taken");
      expect(await getClient(db, T, "c3")).toBeUndefined();
      expect((await listAuditEvents(db, T)).filter((e) => e.subject === "c3")).toEqual([]);
    });

    it("transaction() joins an enclosing transaction instead of nesting", async () => {
      await failure(
        transaction(db, async (outer) => {
          await transaction(outer, (inner) => insertClient(inner, T, client("c_joined")));
          throw new WardError("client_not_found", { client_id: "c_joined" });
        }),
      );
      expect(await getClient(db, T, "c_joined")).toBeUndefined();
    });
  });

  describe("tenants", () => {
    it("keep the same client_id, resource URI and email apart", async () => {
      await db.insertInto("tenants").values({ id: "acme", name: "Acme", created_at: NOW }).execute();
      await insertClient(db, "acme", client("c1", { client_name: "Acme's c1" }));
      await insertResource(db, "acme", resource("res_1", "https://api.example/mcp", { access_token_ttl: 120 }));
      await insertUser(db, "acme", user("usr_1", "ada@example.com", { name: "Acme Ada" }));
      expect((await getClient(db, "acme", "c1"))?.client_name).toBe("Acme's c1");
      expect((await getClient(db, T, "c1"))?.client_name).toBeNull();
      expect((await getResourceByUri(db, "acme", "https://api.example/mcp"))?.access_token_ttl).toBe(120);
      expect((await getUserByEmail(db, "acme", "ADA@example.com"))?.name).toBe("Acme Ada");
      expect((await listClients(db, "acme")).map((c) => c.client_id)).toEqual(["c1"]);
      await setSetting(db, "acme", "k", "acme");
      expect(await getSetting(db, T, "k")).toBeUndefined();
    });
  });

  describe("signing keys", () => {
    it("round-trip in creation order, whatever their state", async () => {
      await insertSigningKey(db, T, signingKey("k_active", "active", NOW));
      await insertSigningKey(db, T, signingKey("k_next", "next", NOW + 1));
      expect(await listSigningKeys(db, T)).toEqual([signingKey("k_active", "active", NOW), signingKey("k_next", "next", NOW + 1)]);
    });

    it("allow at most one active and one next key per tenant (two instances booting at once cannot both create keys)", async () => {
      const second = await insertSigningKey(db, T, signingKey("k_active_2", "active", NOW + 1)).catch((error: unknown) => error);
      expect(isUniqueViolation(second)).toBe(true);
      const third = await insertSigningKey(db, T, signingKey("k_next_2", "next", NOW + 1)).catch((error: unknown) => error);
      expect(isUniqueViolation(third)).toBe(true);
      expect((await listSigningKeys(db, T)).map((k) => k.kid)).toEqual(["k_active", "k_next"]);
    });

    it("wipe the private key on retirement and report a stale guard", async () => {
      expect(await updateSigningKey(db, T, "k_active", { state: "retired", retired_at: NOW + 7, publish_until: NOW + 8 }, "active")).toBe(
        true,
      );
      expect((await listSigningKeys(db, T)).find((k) => k.kid === "k_active")).toMatchObject({
        state: "retired",
        private_jwk_encrypted: null,
        retired_at: NOW + 7,
        publish_until: NOW + 8,
      });
      expect(await updateSigningKey(db, T, "k_active", { state: "active" }, "active")).toBe(false);
      expect(await updateSigningKey(db, T, "k_missing", { state: "retired" })).toBe(false);
    });

    it("guard state changes: of two concurrent guarded promotions exactly one wins", async () => {
      const results = await Promise.all([
        updateSigningKey(db, T, "k_next", { state: "active", activated_at: NOW + 2 }, "next"),
        updateSigningKey(db, T, "k_next", { state: "active", activated_at: NOW + 3 }, "next"),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const promoted = (await listSigningKeys(db, T)).find((k) => k.kid === "k_next");
      expect(promoted?.state).toBe("active");
      expect([NOW + 2, NOW + 3]).toContain(promoted?.activated_at);
    });

    it("guard state changes across concurrent transactions too", async () => {
      await insertSigningKey(db, T, signingKey("k_race", "next", NOW + 4));
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let firstUpdated: () => void = () => undefined;
      const updated = new Promise<void>((resolve) => {
        firstUpdated = resolve;
      });
      const retire = { state: "retired" as const, retired_at: NOW + 5, publish_until: NOW + 9 };
      const first = transaction(db, async (trx) => {
        const won = await updateSigningKey(trx, T, "k_next", retire, "active");
        firstUpdated();
        await held; // hold the row while the second transaction tries
        return won;
      });
      await updated;
      const second = transaction(db, (trx) => updateSigningKey(trx, T, "k_next", { ...retire, retired_at: NOW + 6 }, "active"));
      setTimeout(release, 100);
      expect(await Promise.all([first, second])).toEqual([true, false]);
      expect((await listSigningKeys(db, T)).find((k) => k.kid === "k_next")?.retired_at).toBe(NOW + 5);
      expect(await updateSigningKey(db, T, "k_race", {}, "next")).toBe(true);
      expect(await deleteSigningKey(db, T, "k_active")).toBe(true);
      expect(await deleteSigningKey(db, T, "k_active")).toBe(false);
    });
  });

  describe("pushed requests (RFC 9126)", () => {
    it("round-trip, are claimed once by compare-and-set, and are removed once expired", async () => {
      const record = {
        request_uri_hash: "sha256:par-1",
        client_id: "c1",
        parameters: "response_type=code&client_id=c1",
        created_at: NOW,
        expires_at: NOW + 60_000,
        used_at: null,
      };
      await insertPushedRequest(db, T, record);
      expect(await getPushedRequest(db, T, "sha256:par-1")).toEqual(record);
      expect(await getPushedRequest(db, "other-tenant", "sha256:par-1")).toBeUndefined();
      const claims = await Promise.all([
        claimPushedRequest(db, T, "sha256:par-1", NOW + 5),
        claimPushedRequest(db, T, "sha256:par-1", NOW + 6),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await getPushedRequest(db, T, "sha256:par-1"))?.used_at).toBeGreaterThanOrEqual(NOW + 5);
      await deleteExpiredPushedRequests(db, T, NOW + 60_000);
      expect(await getPushedRequest(db, T, "sha256:par-1")).toBeDefined();
      await deleteExpiredPushedRequests(db, T, NOW + 60_001);
      expect(await getPushedRequest(db, T, "sha256:par-1")).toBeUndefined();
    });
  });

  describe("refresh tokens and their family", () => {
    it("are read together with the family's user in one query; missing rows come back undefined", async () => {
      await insertUser(db, T, user("usr_rt", "rita@example.com", { name: "Rita" }));
      const family = {
        id: "fam_read",
        client_id: "c1",
        user_id: "usr_rt",
        session_id: null,
        scope: "openid offline_access",
        resource: "https://api.example.com/",
        auth_time: NOW - 5,
        amr: ["pwd", "otp"],
        created_at: NOW,
        expires_at: NOW + 60_000,
        last_used_at: NOW,
        revoked_at: null,
        revoked_reason: null,
        dpop_jkt: "jkt-1",
      };
      const refresh = {
        token_hash: "sha256:rt-read",
        family_id: "fam_read",
        scope: "openid",
        created_at: NOW + 1,
        spent_at: null,
        successor_sealed: null,
      };
      await db.executeQuery(insertTokenFamilyQuery(db, T, family));
      await db.executeQuery(insertRefreshTokenQuery(db, T, refresh));
      const rita = { id: "usr_rt", email: "rita@example.com", name: "Rita", disabled: false };
      // As getRefreshToken did, the rows come with their tenant_id.
      expect(await getRefreshTokenGrant(db, T, "sha256:rt-read")).toStrictEqual({
        refresh: { ...refresh, tenant_id: T },
        family: { ...family, tenant_id: T },
        user: rita,
      });
      await updateUser(db, T, "usr_rt", { disabled: true });
      expect((await getRefreshTokenGrant(db, T, "sha256:rt-read"))?.user).toStrictEqual({ ...rita, disabled: true });
      await deleteUser(db, T, "usr_rt");
      const withoutUser = await getRefreshTokenGrant(db, T, "sha256:rt-read");
      expect(withoutUser?.family?.id).toBe("fam_read");
      expect(withoutUser?.user).toBeUndefined();

      const orphan = { ...refresh, token_hash: "sha256:rt-orphan", family_id: "fam_gone", spent_at: NOW + 2, successor_sealed: "sealed" };
      await db.executeQuery(insertRefreshTokenQuery(db, T, orphan));
      expect(await getRefreshTokenGrant(db, T, "sha256:rt-orphan")).toStrictEqual({
        refresh: { ...orphan, tenant_id: T },
        family: undefined,
        user: undefined,
      });
      expect(await getRefreshTokenGrant(db, T, "sha256:rt-unknown")).toBeUndefined();
      expect(await getRefreshTokenGrant(db, "other-tenant", "sha256:rt-read")).toBeUndefined();
    });
  });

  describe("authorization codes", () => {
    it("are read with the approving user in one query, as the plain read gives the code", async () => {
      await insertUser(db, T, user("usr_code", "cody@example.com"));
      const code = {
        code_hash: "sha256:code-read",
        client_id: "c1",
        user_id: "usr_code",
        session_id: "ses_1",
        redirect_uri: "https://app.example.com/cb",
        scope: "openid email",
        resource: null,
        code_challenge: "challenge",
        nonce: "n-1",
        auth_time: NOW - 5,
        amr: ["pwd"],
        created_at: NOW,
        expires_at: NOW + 60_000,
        used_at: null,
        family_id: null,
        dpop_jkt: null,
      };
      await insertAuthorizationCode(db, T, code);
      const plain = await getAuthorizationCode(db, T, "sha256:code-read");
      expect(plain).toMatchObject(code);
      expect(await getAuthorizationCodeAndUser(db, T, "sha256:code-read")).toStrictEqual({
        code: plain,
        user: { id: "usr_code", email: "cody@example.com", name: null, disabled: false },
      });
      await deleteUser(db, T, "usr_code");
      expect(await getAuthorizationCodeAndUser(db, T, "sha256:code-read")).toStrictEqual({ code: plain, user: undefined });
      expect(await getAuthorizationCodeAndUser(db, T, "sha256:code-unknown")).toBeUndefined();
      expect(await getAuthorizationCodeAndUser(db, "other-tenant", "sha256:code-read")).toBeUndefined();
    });
  });

  describe("audit events and settings", () => {
    it("list audit events newest first, in recording order within a millisecond, with JSON data", async () => {
      for (let i = 0; i < 5; i++)
        await recordAuditEvent(db, T, { type: "probe", actor: "admin", subject: `s${i}`, data: { i, nested: [true] } });
      const events = (await listAuditEvents(db, T, 50)).filter((e) => e.type === "probe");
      expect(events.map((e) => e.subject)).toEqual(["s4", "s3", "s2", "s1", "s0"]);
      expect(events[0]).toMatchObject({ actor: "admin", data: { i: 4, nested: [true] } });
      expect(typeof events[0]?.created_at).toBe("number");
      expect(await listAuditEvents(db, T, 2)).toHaveLength(2);
    });

    it("upsert settings", async () => {
      expect(await getSetting(db, T, "master_key_fingerprint")).toBeUndefined();
      await setSetting(db, T, "master_key_fingerprint", "a");
      await setSetting(db, T, "master_key_fingerprint", "b");
      expect(await getSetting(db, T, "master_key_fingerprint")).toBe("b");
    });
  });

  it("keeps data across closing and reopening", async () => {
    const target = await engine.create();
    created.push(target);
    const first = await openDatabase(target.url, target.options);
    await insertClient(first.db, T, client("persisted"));
    await first.close();
    const second = await open(target);
    expect(await getClient(second.db, T, "persisted")).toEqual(client("persisted"));
  });
});

describe("opening databases", () => {
  it("refuses an unsupported URL as database_url_invalid, password redacted", async () => {
    const error = await failure(openDatabase("mysql://x:pw@h/db"));
    expect(error.code).toBe("database_url_invalid");
    expect(error.message).toBe(
      "database.url is mysql://x:***@h/db; expected sqlite:<path>, sqlite::memory: or postgres://user@host:port/database.",
    );
    expect(error.message).not.toContain("pw");
  });

  it.each([
    ["no scheme", "x:s3cret@h/db", "x:***@h/db"],
    ["a password holding / and @", "mysql://x:s3/c@ret@h/db", "mysql://x:***@h/db"],
    ["a password query parameter", "mssql://h/db?user=x&password=s3cret", "mssql://h/db?user=x&password=***"],
    ["an empty sqlite path", "sqlite:", "sqlite:"],
    ["a malformed postgres URL", "postgres://x:s3cret@h:99999/db", "postgres://x:***@h:99999/db"],
  ])("refuses %s without echoing secrets", async (_, url, shown) => {
    const error = await failure(openDatabase(url));
    expect(error.code).toBe("database_url_invalid");
    expect(error.params.received).toBe(shown);
    expect(error.message).not.toContain("s3");
  });

  it("reports a closed PostgreSQL port as database_unreachable, quickly", async () => {
    const started = Date.now();
    const error = await failure(openDatabase("postgres://postgres@127.0.0.1:1/test"));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.code).toBe("database_unreachable");
    expect(error.message).toMatch(/^The database at postgres:\/\/postgres@127\.0\.0\.1:1\/test cannot be reached: .*ECONNREFUSED/);
    const withPassword = await failure(openDatabase("postgres://postgres:s3cret@127.0.0.1:1/test"));
    expect(withPassword.params.target).toBe("postgres://postgres:***@127.0.0.1:1/test");
    expect(withPassword.message).not.toContain("s3cret");
  });

  describe("SQLite", () => {
    const dirs: string[] = [];
    const tempDir = () => {
      const dir = mkdtempSync(join(tmpdir(), "ward-sqlite-"));
      dirs.push(dir);
      return dir;
    };
    afterAll(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it("creates the folder, and runs in WAL mode with foreign keys, busy_timeout, synchronous=NORMAL and temp_store=MEMORY", async () => {
      const url = `sqlite:${join(tempDir(), "nested", "deeper", "ward.db")}`;
      const database = await openDatabase(url);
      try {
        expect(database).toMatchObject({ dialect: "sqlite", target: url });
        const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(database.db)).rows[0] as object)[0];
        expect(await pragma("journal_mode")).toBe("wal");
        expect(await pragma("foreign_keys")).toBe(1);
        expect(await pragma("busy_timeout")).toBe(5000);
        expect(await pragma("synchronous")).toBe(1);
        // 2 = MEMORY: savepoint journals never spill to temporary files (database.ts).
        expect(await pragma("temp_store")).toBe(2);
        await database.ping();
      } finally {
        await database.close();
      }
    });

    it("reopens a file with its data", async () => {
      const url = `sqlite:${join(tempDir(), "ward.db")}`;
      const first = await openDatabase(url);
      await insertClient(first.db, T, client("kept"));
      await first.close();
      const second = await openDatabase(url);
      expect((await getClient(second.db, T, "kept"))?.client_id).toBe("kept");
      await second.close();
    });

    it("opens sqlite::memory: migrated and empty", async () => {
      const database = await openDatabase("sqlite::memory:");
      expect(await listClients(database.db, T)).toEqual([]);
      expect(await database.db.selectFrom("tenants").select("id").execute()).toEqual([{ id: T }]);
      await database.close();
    });

    it("reports a path it cannot create as database_unreachable", async () => {
      const file = join(tempDir(), "a-file");
      writeFileSync(file, "");
      const error = await failure(openDatabase(`sqlite:${join(file, "ward.db")}`));
      expect(error.code).toBe("database_unreachable");
      expect(error.message).toContain(`The database at sqlite:${join(file, "ward.db")} cannot be reached: `);
    });
  });
});
