import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FreshDatabase, postgresOrSkip, searchPathUrl, testDatabases } from "./support/databases.js";
import { json } from "./support/json.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const engines = await testDatabases();

const CLIENT = { redirect_uris: ["http://127.0.0.1:8976/callback"], token_endpoint_auth_method: "none", client_name: "pg" };

/** Dynamic registration storage on PostgreSQL: token spending, the registration row, RFC 7592 update and delete. */
describe("dynamic client registration on PostgreSQL", () => {
  const postgres = postgresOrSkip(engines);
  if (!postgres) return;
  let fresh: FreshDatabase;
  let t: TestWard;

  beforeAll(async () => {
    fresh = await postgres.create();
    const url = searchPathUrl(fresh);
    t = await startTestWard({ database: { url }, registration: { policy: "initial_access_token" } });
  });
  afterAll(async () => {
    await t?.stop();
    await fresh?.drop();
  });

  const register = (token: string) =>
    fetch(`${t.publicUrl}/register`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(CLIENT),
    });

  it("spends a two-use token exactly twice under concurrency, then manages the client through RFC 7592", async () => {
    const issued = await json(await t.admin("/admin/v1/registration-tokens", { body: { uses: 2 } }));
    const answers = await Promise.all([register(issued.token), register(issued.token), register(issued.token)]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 401]);
    const listed = await json(await t.admin("/admin/v1/registration-tokens"));
    expect(listed.registration_tokens[0]).toMatchObject({ uses: 2, uses_left: 0 });
    expect(await t.ward.database.db.selectFrom("client_registrations").select("client_id").execute()).toHaveLength(2);

    const created = await json(answers.find((r) => r.status === 201) as Response);
    const auth = { authorization: `Bearer ${created.registration_access_token}` };
    const put = await fetch(created.registration_client_uri, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ ...CLIENT, client_id: created.client_id, client_name: "renamed", logo_uri: "https://example.com/l.png" }),
    });
    expect((await json(put)).client_name).toBe("renamed");
    expect((await json(await fetch(created.registration_client_uri, { headers: auth }))).logo_uri).toBe("https://example.com/l.png");
    expect((await fetch(created.registration_client_uri, { method: "DELETE", headers: auth })).status).toBe(204);
    expect(await t.ward.database.db.selectFrom("client_registrations").select("client_id").execute()).toHaveLength(1);
    expect(t.ward.database.dialect).toBe("postgres");
  });
});
