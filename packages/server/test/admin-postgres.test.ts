import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FreshDatabase, postgresOrSkip, searchPathUrl, testDatabases } from "./support/databases.js";
import { json } from "./support/json.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const engines = await testDatabases();

/** The admin API end to end on PostgreSQL: conflicts inside transactions, audit rows, key rotation. */
describe("admin API on PostgreSQL", () => {
  const postgres = postgresOrSkip(engines);
  if (!postgres) return;
  let fresh: FreshDatabase;
  let t: TestWard;

  beforeAll(async () => {
    fresh = await postgres.create();
    const url = searchPathUrl(fresh);
    t = await startTestWard({ database: { url } });
  });
  afterAll(async () => {
    await t?.stop();
    await fresh?.drop();
  });

  it("creates a client, refuses its client_id again with client_id_taken, and keeps one row and one audit event", async () => {
    const body = { client_id: "pg-client", redirect_uris: ["https://app.example.com/cb"] };
    expect((await t.admin("/admin/v1/clients", { body })).status).toBe(201);
    const again = await t.admin("/admin/v1/clients", { body: { ...body, client_name: "Impostor" } });
    expect(again.status).toBe(409);
    expect((await json(again)).code).toBe("client_id_taken");
    const got = await json(await t.admin("/admin/v1/clients/pg-client"));
    expect(got.client_name).toBeNull();
    const audit = await t.ward.database.db.selectFrom("audit_events").select("type").where("subject", "=", "pg-client").execute();
    expect(audit.map((row) => row.type)).toEqual(["client.created"]);
  });

  it("refuses a duplicate email (case-insensitive) with user_email_taken naming the existing id", async () => {
    const created = await json(await t.admin("/admin/v1/users", { body: { email: "Ada@Example.com", password: "correct horse battery" } }));
    const again = await t.admin("/admin/v1/users", { body: { email: "ada@example.COM", password: "another password" } });
    expect(again.status).toBe(409);
    expect((await json(again)).error_description).toBe(`A user with email ada@example.COM already exists (id ${created.id}).`);
  });

  it("rotates keys and keeps the retired key in JWKS", async () => {
    const rotated = await json(await t.admin("/admin/v1/keys/rotate", { body: {} }));
    const jwks = await json(await fetch(`${t.publicUrl}/jwks.json`));
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([rotated.active, rotated.retired, rotated.next]));
    expect(t.ward.database.dialect).toBe("postgres");
  });
});
