import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { FieldProblem } from "../src/admin/validation.js";
import { adminCollection, expectInvalid, type Json, useTestWard } from "./support/admin.js";

const t = useTestWard();
const { createOk, list, expectCreateRefused } = adminCollection(t, "/admin/v1/clients", "clients");

const web = { client_name: "Web app", redirect_uris: ["https://app.example.com/callback"] };
const publicSpa = { ...web, client_name: "Public SPA", token_endpoint_auth_method: "none" };
const ecKey = {
  kty: "EC",
  crv: "P-256",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
  kid: "k1",
};

async function create(body: unknown): Promise<{ status: number; json: Json }> {
  const response = await t.admin("/admin/v1/clients", { body });
  return { status: response.status, json: (await response.json()) as Json };
}

async function get(clientId: string): Promise<Response> {
  return t.admin(`/admin/v1/clients/${encodeURIComponent(clientId)}`);
}

function problemFor(problems: FieldProblem[], field: string): FieldProblem {
  const problem = problems.find((p) => p.field === field);
  expect(problem, field).toBeDefined();
  return problem as FieldProblem;
}

describe("RFC 7591 client registration through the admin API: confidential clients", () => {
  it("returns client_secret once on creation; GET and list never show the secret or its hash", async () => {
    const created = await createOk({ ...web, client_name: "Confidential" });
    const secret = created.client_secret as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.has_client_secret).toBe(true);
    expect(created.client_secret_expires_at).toBe(0);
    expect(created.client_id_issued_at).toEqual(expect.any(Number));
    expect(created).not.toHaveProperty("client_secret_hash");

    const shown = await get(created.client_id as string);
    expect(shown.status).toBe(200);
    const text = await shown.text();
    const hashed = createHash("sha256").update(secret).digest("base64url");
    for (const view of [text, JSON.stringify(await list())]) {
      expect(view).not.toContain(secret);
      expect(view).not.toContain(hashed);
      expect(view).not.toContain("client_secret_hash");
      expect(view).not.toContain('"client_secret"');
    }
    const body = JSON.parse(text) as Json;
    expect(body.has_client_secret).toBe(true);
    expect(body.client_id).toBe(created.client_id);
  });

  it("sends the secret with Cache-Control: no-store", async () => {
    const response = await t.admin("/admin/v1/clients", { body: { ...web, client_name: "No store" } });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("applies the RFC 7591 §2 defaults: authorization_code, code, client_secret_basic, web", async () => {
    const created = await createOk({ redirect_uris: ["https://defaults.example.com/cb"] });
    expect(created).toMatchObject({
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      application_type: "web",
      skip_consent: false,
      post_logout_redirect_uris: [],
      has_client_secret: true,
    });
    expect(created.client_id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const shown = (await (await get(created.client_id as string)).json()) as Json;
    const { client_secret: _secret, ...withoutSecret } = created;
    expect(shown).toEqual(withoutSecret);
  });

  it("keeps every RFC 7591 field it accepts", async () => {
    const body = {
      client_id: "full-metadata",
      client_name: "Full metadata",
      redirect_uris: ["https://full.example.com/cb", "http://127.0.0.1/cb"],
      post_logout_redirect_uris: ["https://full.example.com/bye"],
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      scope: "openid profile mcp:tools",
      application_type: "web",
      skip_consent: true,
    };
    const created = await createOk(body);
    expect(created).toMatchObject(body);
    expect((await (await get("full-metadata")).json()) as Json).toMatchObject(body);
  });

  it("creates a private_key_jwt client with jwks (no secret)", async () => {
    const created = await createOk({
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: "private_key_jwt",
      jwks: { keys: [ecKey] },
    });
    expect(created).not.toHaveProperty("client_secret");
    expect(created.has_client_secret).toBe(false);
    expect(created.response_types).toEqual([]);
    expect(created.jwks).toEqual({ keys: [ecKey] });
  });
});

describe("RFC 7591 client registration through the admin API: public clients", () => {
  it("creates a public client (token_endpoint_auth_method none) without any secret", async () => {
    const created = await createOk(publicSpa);
    expect(created).not.toHaveProperty("client_secret");
    expect(created.has_client_secret).toBe(false);
    expect(created.token_endpoint_auth_method).toBe("none");
    const shown = (await (await get(created.client_id as string)).json()) as Json;
    expect(shown.has_client_secret).toBe(false);
    expect(shown).not.toHaveProperty("client_secret");
  });

  it("accepts a private-use scheme redirect for a native client (RFC 8252 §7.1)", async () => {
    const created = await createOk({
      ...publicSpa,
      application_type: "native",
      redirect_uris: ["com.example.app:/oauth/cb", "http://127.0.0.1/cb"],
    });
    expect(created.redirect_uris).toEqual(["com.example.app:/oauth/cb", "http://127.0.0.1/cb"]);
  });

  it("accepts plain http on a loopback host for a web client", async () => {
    const created = await createOk({ ...web, redirect_uris: ["http://127.0.0.1/cb", "http://localhost:8080/cb", "http://[::1]/cb"] });
    expect(created.redirect_uris).toEqual(["http://127.0.0.1/cb", "http://localhost:8080/cb", "http://[::1]/cb"]);
  });
});

describe("admin clients: list, get, update, delete", () => {
  it("lists every client created", async () => {
    const a = await createOk({ ...web, client_name: "Listed A" });
    const b = await createOk({ ...publicSpa, client_name: "Listed B" });
    const ids = (await list()).map((c) => c.client_id);
    expect(ids).toContain(a.client_id);
    expect(ids).toContain(b.client_id);
  });

  it("updates metadata with PATCH and returns the updated client (no secret)", async () => {
    const created = await createOk({ ...web, client_name: "Before" });
    const id = created.client_id as string;
    const response = await t.admin(`/admin/v1/clients/${id}`, {
      method: "PATCH",
      body: { client_name: "After", scope: "openid email", redirect_uris: ["https://app.example.com/new-cb"], skip_consent: true },
    });
    expect(response.status).toBe(200);
    const updated = (await response.json()) as Json;
    expect(updated).toMatchObject({
      client_id: id,
      client_name: "After",
      scope: "openid email",
      redirect_uris: ["https://app.example.com/new-cb"],
      skip_consent: true,
    });
    expect(updated).not.toHaveProperty("client_secret");
    expect(updated.has_client_secret).toBe(true);
    expect((await (await get(id)).json()) as Json).toMatchObject({ client_name: "After", scope: "openid email", skip_consent: true });
  });

  it("PATCH of grant_types alone re-derives response_types", async () => {
    const created = await createOk({ ...web, client_name: "Grants" });
    const response = await t.admin(`/admin/v1/clients/${created.client_id}`, {
      method: "PATCH",
      body: { grant_types: ["client_credentials"] },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ grant_types: ["client_credentials"], response_types: [] });
  });

  it("PATCH from none to client_secret_basic returns a new secret once; back to none removes it", async () => {
    const created = await createOk({ ...publicSpa, client_name: "Becomes confidential" });
    const id = created.client_id as string;
    const confidential = await t.admin(`/admin/v1/clients/${id}`, {
      method: "PATCH",
      body: { token_endpoint_auth_method: "client_secret_basic" },
    });
    expect(confidential.status).toBe(200);
    const body = (await confidential.json()) as Json;
    expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.has_client_secret).toBe(true);
    expect(await (await get(id)).text()).not.toContain(body.client_secret as string);
    const publicAgain = await t.admin(`/admin/v1/clients/${id}`, { method: "PATCH", body: { token_endpoint_auth_method: "none" } });
    expect(publicAgain.status).toBe(200);
    const after = (await publicAgain.json()) as Json;
    expect(after.has_client_secret).toBe(false);
    expect(after).not.toHaveProperty("client_secret");
  });

  it("deletes with 204; the client is gone and a second delete is client_not_found", async () => {
    const created = await createOk({ ...web, client_name: "Deleted" });
    const id = created.client_id as string;
    const response = await t.admin(`/admin/v1/clients/${id}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect((await get(id)).status).toBe(404);
    expect((await list()).map((c) => c.client_id)).not.toContain(id);
    const again = await t.admin(`/admin/v1/clients/${id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(((await again.json()) as Json).code).toBe("client_not_found");
  });

  it("client_id_taken (409) for a client_id already in use; the first client is untouched", async () => {
    await createOk({ ...web, client_id: "taken-id", client_name: "First" });
    const before = await list();
    const { status, json } = await create({ ...publicSpa, client_id: "taken-id", client_name: "Second" });
    expect(status).toBe(409);
    expect(json).toMatchObject({ code: "client_id_taken", error: "conflict" });
    expect(json.error_description).toContain("taken-id");
    expect(await list()).toEqual(before);
    expect((await (await get("taken-id")).json()) as Json).toMatchObject({ client_name: "First", has_client_secret: true });
  });

  it("client_not_found (404) naming the client_id on GET, PATCH, DELETE and rotate-secret of an unknown client", async () => {
    for (const [method, path, body] of [
      ["GET", "/admin/v1/clients/no-such-client", undefined],
      ["PATCH", "/admin/v1/clients/no-such-client", { client_name: "x" }],
      ["DELETE", "/admin/v1/clients/no-such-client", undefined],
      ["POST", "/admin/v1/clients/no-such-client/rotate-secret", undefined],
    ] as const) {
      const response = await t.admin(path, { method, body });
      expect(response.status, `${method} ${path}`).toBe(404);
      const json = (await response.json()) as Json;
      expect(json.code).toBe("client_not_found");
      expect(json.error_description).toBe("There is no client with client_id no-such-client.");
    }
  });
});

describe("admin clients: secret rotation", () => {
  it("rotate-secret returns a new secret, different from the old one; GET still never shows it", async () => {
    const created = await createOk({ ...web, client_name: "Rotated" });
    const id = created.client_id as string;
    const response = await t.admin(`/admin/v1/clients/${id}/rotate-secret`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const rotated = (await response.json()) as Json;
    expect(rotated.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.client_secret).not.toBe(created.client_secret);
    expect(rotated.secret_rotated_at).toEqual(expect.any(String));
    const shown = await (await get(id)).text();
    expect(shown).not.toContain(rotated.client_secret as string);
    expect(shown).not.toContain(created.client_secret as string);
  });

  it("client_secret_not_applicable (400) for a public client, which keeps having no secret", async () => {
    const created = await createOk({ ...publicSpa, client_name: "No secret to rotate" });
    const response = await t.admin(`/admin/v1/clients/${created.client_id}/rotate-secret`, { method: "POST" });
    expect(response.status).toBe(400);
    const json = (await response.json()) as Json;
    expect(json.code).toBe("client_secret_not_applicable");
    expect(json.error_description).toBe(`Client ${created.client_id} uses token_endpoint_auth_method none, which has no client secret.`);
    expect(json).not.toHaveProperty("client_secret");
    expect(((await (await get(created.client_id as string)).json()) as Json).has_client_secret).toBe(false);
  });
});

describe("admin clients: redirect URI registration rules (RFC 6749 §3.1.2, RFC 8252, OAuth 2.1)", () => {
  it("refuses a redirect URI with a fragment", async () => {
    const { problems } = await expectCreateRefused({ ...web, redirect_uris: ["https://app.example.com/cb#frag"] }, ["redirect_uris.0"]);
    expect(problemFor(problems, "redirect_uris.0")).toMatchObject({
      received: '"https://app.example.com/cb#frag"',
      expected: expect.stringContaining("fragment"),
    });
  });

  it("refuses a redirect URI with a wildcard", async () => {
    const { problems } = await expectCreateRefused({ ...web, redirect_uris: ["https://app.example.com/*"] }, ["redirect_uris.0"]);
    expect(problemFor(problems, "redirect_uris.0").expected).toContain("wildcard");
    await expectCreateRefused({ ...web, redirect_uris: ["https://*.example.com/cb"] }, ["redirect_uris.0"]);
  });

  it("refuses a relative redirect URI", async () => {
    const { problems } = await expectCreateRefused({ ...web, redirect_uris: ["/callback"] }, ["redirect_uris.0"]);
    expect(problemFor(problems, "redirect_uris.0").expected).toContain("absolute URL");
  });

  it("refuses a private-use scheme on a web client (https required), pointing at application_type native", async () => {
    const { problems } = await expectCreateRefused({ ...web, redirect_uris: ["com.example.app:/cb"] }, ["redirect_uris.0"]);
    expect(problemFor(problems, "redirect_uris.0").expected).toMatch(/https.*native/);
  });

  it("refuses javascript: redirect URIs, even for native clients", async () => {
    await expectCreateRefused({ ...web, redirect_uris: ["javascript:alert(1)"] }, ["redirect_uris.0"]);
    const { problems } = await expectCreateRefused({ ...publicSpa, application_type: "native", redirect_uris: ["javascript:alert(1)//"] }, [
      "redirect_uris.0",
    ]);
    expect(problemFor(problems, "redirect_uris.0").expected).toContain("javascript:");
  });

  it("refuses duplicate redirect URIs", async () => {
    const uri = "https://app.example.com/cb";
    await expectCreateRefused({ ...web, redirect_uris: [uri, uri] }, ["redirect_uris"]);
  });

  it("checks post_logout_redirect_uris with the same rules", async () => {
    await expectCreateRefused({ ...web, post_logout_redirect_uris: ["https://app.example.com/bye#x", "/bye"] }, [
      "post_logout_redirect_uris.0",
      "post_logout_redirect_uris.1",
    ]);
  });

  it("lists every bad redirect URI at once", async () => {
    await expectCreateRefused(
      { ...web, redirect_uris: ["https://ok.example.com/cb", "https://a.example.com/#f", "relative", "javascript:x"] },
      ["redirect_uris.1", "redirect_uris.2", "redirect_uris.3"],
    );
  });
});

describe("admin clients: grant, response type and authentication rules", () => {
  it("refuses unknown and removed grant types (no implicit, no password)", async () => {
    const { problems } = await expectCreateRefused({ ...web, grant_types: ["authorization_code", "implicit", "password"] }, [
      "grant_types.1",
      "grant_types.2",
    ]);
    expect(problemFor(problems, "grant_types.1").received).toBe('"implicit"');
  });

  it('refuses response_types ["token"] (OAuth 2.1 has no implicit flow)', async () => {
    const { problems } = await expectCreateRefused({ ...web, response_types: ["token"] }, ["response_types.0"]);
    expect(problemFor(problems, "response_types.0").expected).toContain("implicit");
  });

  it("refuses authorization_code without redirect_uris", async () => {
    const { problems } = await expectCreateRefused({ client_name: "No redirect", grant_types: ["authorization_code"] }, ["redirect_uris"]);
    expect(problemFor(problems, "redirect_uris").expected).toContain("authorization_code");
  });

  it("refuses client_credentials for a public client (none)", async () => {
    await expectCreateRefused({ grant_types: ["client_credentials"], token_endpoint_auth_method: "none" }, ["grant_types"]);
  });

  it("refuses private_key_jwt without jwks or jwks_uri", async () => {
    await expectCreateRefused({ grant_types: ["client_credentials"], token_endpoint_auth_method: "private_key_jwt" }, ["jwks"]);
  });

  it("refuses jwks and jwks_uri together (RFC 7591 §2)", async () => {
    await expectCreateRefused(
      {
        grant_types: ["client_credentials"],
        token_endpoint_auth_method: "private_key_jwt",
        jwks: { keys: [ecKey] },
        jwks_uri: "https://app.example.com/jwks.json",
      },
      ["jwks_uri"],
    );
  });

  it("refuses an http jwks_uri", async () => {
    const { problems } = await expectCreateRefused(
      { grant_types: ["client_credentials"], token_endpoint_auth_method: "private_key_jwt", jwks_uri: "http://app.example.com/jwks.json" },
      ["jwks_uri"],
    );
    expect(problemFor(problems, "jwks_uri").expected).toContain("https");
  });

  it("refuses private key material in jwks, without echoing it", async () => {
    const privateKey = { ...ecKey, d: "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI" };
    const { text } = await expectCreateRefused(
      { grant_types: ["client_credentials"], token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [privateKey] } },
      ["jwks.keys.0"],
    );
    expect(text).not.toContain(privateKey.d);
  });

  it("refuses skip_consent for a public native client (RFC 8252 §8.6)", async () => {
    await expectCreateRefused({ ...publicSpa, application_type: "native", redirect_uris: ["http://127.0.0.1/cb"], skip_consent: true }, [
      "skip_consent",
    ]);
  });
});

describe("admin clients: body validation lists every offending field, writes nothing", () => {
  it("refuses an unknown top-level field, one entry per unknown field", async () => {
    const { problems } = await expectCreateRefused({ ...web, logo: "x", contacts_list: [] }, ["logo", "contacts_list"]);
    expect(problemFor(problems, "logo").received).not.toContain("x");
  });

  it("refuses wrong types, all at once", async () => {
    await expectCreateRefused({ client_name: 42, redirect_uris: "https://app.example.com/cb", skip_consent: "yes" }, [
      "client_name",
      "redirect_uris",
      "skip_consent",
    ]);
  });

  it("refuses a body with three different problems with exactly those three fields", async () => {
    const { problems } = await expectCreateRefused(
      {
        redirect_uris: ["https://app.example.com/cb#frag"],
        grant_types: ["authorization_code", "implicit"],
        jwks_uri: "http://app.example.com/jwks",
      },
      ["redirect_uris.0", "grant_types.1", "jwks_uri"],
    );
    expect(problems).toHaveLength(3);
  });

  it("reports cross-field rules next to schema errors when their own fields are valid", async () => {
    await expectCreateRefused({ client_name: "", grant_types: ["client_credentials"], token_endpoint_auth_method: "none" }, [
      "client_name",
      "grant_types",
    ]);
  });

  it("refuses a JSON body that is not an object", async () => {
    await expectCreateRefused([web], ["(body)"]);
    await expectCreateRefused(null, ["(body)"]);
  });

  it("refuses a client_id outside the allowed characters", async () => {
    await expectCreateRefused({ ...web, client_id: "has space" }, ["client_id"]);
  });

  it("never echoes secret values in received (client_secret is not accepted, and not shown back)", async () => {
    const secret = "my-chosen-secret-value-123";
    const { problems, text } = await expectCreateRefused({ ...web, client_secret: secret }, ["client_secret"]);
    expect(text).not.toContain(secret);
    expect(problemFor(problems, "client_secret").received).not.toContain(secret);
    const created = await createOk({ ...web, client_name: "Secret patch target" });
    const before = await (await get(created.client_id as string)).json();
    const patch = await t.admin(`/admin/v1/clients/${created.client_id}`, { method: "PATCH", body: { client_secret: secret } });
    const refused = await expectInvalid(patch, ["client_secret"]);
    expect(refused.text).not.toContain(secret);
    expect(await (await get(created.client_id as string)).json()).toEqual(before);
  });

  it("body_malformed (400) for a body that is not JSON, nothing created", async () => {
    const before = await list();
    const response = await t.admin("/admin/v1/clients", { body: '{"client_name": "x", ' });
    expect(response.status).toBe(400);
    const json = (await response.json()) as Json;
    expect(json.code).toBe("body_malformed");
    expect(json.error_description).toMatch(/^The request body is not valid JSON: /);
    expect(await list()).toEqual(before);
  });

  it("unsupported_media_type (415) for a body that is not application/json, nothing created", async () => {
    const before = await list();
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
      const response = await t.admin("/admin/v1/clients", { body: JSON.stringify(web), contentType });
      expect(response.status).toBe(415);
      const json = (await response.json()) as Json;
      expect(json.code).toBe("unsupported_media_type");
      expect(json.error_description).toContain(contentType);
      expect(json.error_description).toContain("application/json");
    }
    expect(await list()).toEqual(before);
  });

  it("accepts application/json with a charset parameter", async () => {
    const response = await t.admin("/admin/v1/clients", {
      body: { ...web, client_name: "charset" },
      contentType: "application/json; charset=utf-8",
    });
    expect(response.status).toBe(201);
  });
});

describe("admin clients: PATCH keeps the client consistent or changes nothing", () => {
  async function expectPatchRefused(clientId: string, body: unknown, fields: string[]) {
    const before = await (await get(clientId)).json();
    const result = await expectInvalid(await t.admin(`/admin/v1/clients/${clientId}`, { method: "PATCH", body }), fields);
    expect(await (await get(clientId)).json()).toEqual(before);
    return result;
  }

  it("refuses client_credentials on a public client", async () => {
    const created = await createOk({ ...publicSpa, client_name: "Patch public" });
    await expectPatchRefused(created.client_id as string, { grant_types: ["authorization_code", "client_credentials"] }, ["grant_types"]);
  });

  it("refuses removing every redirect URI from an authorization_code client", async () => {
    const created = await createOk({ ...web, client_name: "Patch redirect" });
    await expectPatchRefused(created.client_id as string, { redirect_uris: [] }, ["redirect_uris"]);
  });

  it("refuses switching to private_key_jwt without keys", async () => {
    const created = await createOk({ ...web, client_name: "Patch pkjwt" });
    await expectPatchRefused(created.client_id as string, { token_endpoint_auth_method: "private_key_jwt" }, ["jwks"]);
  });

  it("refuses a bad redirect URI next to a bad type, all at once", async () => {
    const created = await createOk({ ...web, client_name: "Patch several" });
    await expectPatchRefused(
      created.client_id as string,
      { redirect_uris: ["https://app.example.com/#x"], skip_consent: "no", client_id: "renamed" },
      ["redirect_uris.0", "skip_consent", "client_id"],
    );
  });

  it("body_malformed and unsupported_media_type on PATCH too", async () => {
    const created = await createOk({ ...web, client_name: "Patch body" });
    const malformed = await t.admin(`/admin/v1/clients/${created.client_id}`, { method: "PATCH", body: "not json" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Json).code).toBe("body_malformed");
    const wrongType = await t.admin(`/admin/v1/clients/${created.client_id}`, {
      method: "PATCH",
      body: "client_name=x",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as Json).code).toBe("unsupported_media_type");
  });
});
