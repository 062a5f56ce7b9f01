import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.js";
import { matchesApprovedRedirect, redirectPatternProblem } from "../src/registration/redirect-patterns.js";
import { type Json, useTestWard } from "./support/admin.js";
import type { TestWard } from "./support/ward.js";

const PUBLIC_CLIENT = {
  client_name: "Notes MCP client",
  redirect_uris: ["http://127.0.0.1:33418/callback"],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
  logo_uri: "https://logo.example.test/logo.png",
  unknown_extension: "ignored (RFC 7591 §2)",
};

function register(t: TestWard, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.publicUrl}/register`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function clientIds(t: TestWard): Promise<string[]> {
  const response = await t.admin("/admin/v1/clients");
  return ((await response.json()) as { clients: Json[] }).clients.map((client) => client.client_id as string);
}

/** The request is refused with exactly `code` (and its RFC 7591 `error`), and no client was stored. */
async function expectRefused(t: TestWard, send: () => Promise<Response>, status: number, code: string, error: string): Promise<Json> {
  const before = await clientIds(t);
  const response = await send();
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.code).toBe(code);
  expect(body.error).toBe(error);
  expect(await clientIds(t)).toEqual(before);
  return body;
}

async function metadata(t: TestWard): Promise<Json> {
  return (await fetch(`${t.publicUrl}/.well-known/oauth-authorization-server`)).json() as Promise<Json>;
}

describe("RFC 7591 with registration.policy open", () => {
  const t = useTestWard({ registration: { policy: "open" } });

  it("advertises registration_endpoint", async () => {
    expect((await metadata(t)).registration_endpoint).toBe(`${t.publicUrl}/register`);
  });

  it("§3.2.1: registers a public client, returns its metadata and a registration access token once, and audits it", async () => {
    const response = await register(t, PUBLIC_CLIENT);
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(body).toMatchObject({
      client_name: "Notes MCP client",
      redirect_uris: PUBLIC_CLIENT.redirect_uris,
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "none",
      logo_uri: "https://logo.example.test/logo.png",
      registration_client_uri: `${t.publicUrl}/register/${body.client_id}`,
    });
    expect(body.client_secret).toBeUndefined();
    expect(body.unknown_extension).toBeUndefined();
    expect(typeof body.registration_access_token).toBe("string");
    const stored = (await (await t.admin(`/admin/v1/clients/${body.client_id}`)).json()) as Json;
    expect(stored.skip_consent).toBe(false);
    const audit = (await (await t.admin(`/admin/v1/audit-events?type=client.registered`)).json()) as { audit_events: Json[] };
    expect(audit.audit_events.map((e) => e.subject)).toContain(body.client_id);
  });

  it("§3.2.1: a confidential client's secret is returned once and authenticates it", async () => {
    const response = await register(t, { ...PUBLIC_CLIENT, token_endpoint_auth_method: "client_secret_basic" });
    const body = (await response.json()) as Json;
    expect(response.status).toBe(201);
    expect(body.client_secret_expires_at).toBe(0);
    const basic = Buffer.from(`${body.client_id}:${body.client_secret}`).toString("base64");
    const revoke = await fetch(`${t.publicUrl}/revoke`, {
      method: "POST",
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({ token: "not-a-token" }),
    });
    expect(revoke.status).toBe(200);
    const read = await fetch(body.registration_client_uri as string, {
      headers: { authorization: `Bearer ${body.registration_access_token}` },
    });
    const current = (await read.json()) as Json;
    expect(read.status).toBe(200);
    expect(current.client_secret).toBeUndefined();
    expect(current.registration_access_token).toBeUndefined();
  });

  it("refuses a fragment in a redirect URI with invalid_redirect_uri", async () => {
    const body = await expectRefused(
      t,
      () => register(t, { ...PUBLIC_CLIENT, redirect_uris: ["https://app.example.test/cb#frag"] }),
      400,
      "registration_redirect_uri_invalid",
      "invalid_redirect_uri",
    );
    expect(body.error_description).toContain("redirect_uris.0");
    expect(body.error_description).toContain("fragment");
  });

  it("refuses an unknown grant type with invalid_client_metadata naming it", async () => {
    const body = await expectRefused(
      t,
      () => register(t, { ...PUBLIC_CLIENT, grant_types: ["authorization_code", "password"] }),
      400,
      "registration_metadata_invalid",
      "invalid_client_metadata",
    );
    expect(body.error_description).toContain("grant_types.1");
    expect(body.error_description).toContain('"password"');
  });

  it("refuses a grant type this server does not serve (client_credentials is off)", async () => {
    const body = await expectRefused(
      t,
      () => register(t, { ...PUBLIC_CLIENT, token_endpoint_auth_method: "client_secret_basic", grant_types: ["client_credentials"] }),
      400,
      "registration_metadata_invalid",
      "invalid_client_metadata",
    );
    expect(body.error_description).toContain("only grant types this server serves");
  });

  it("refuses jwks together with jwks_uri", async () => {
    const { publicKey } = await import("node:crypto").then((crypto) => crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }));
    const body = await expectRefused(
      t,
      () =>
        register(t, {
          ...PUBLIC_CLIENT,
          token_endpoint_auth_method: "private_key_jwt",
          jwks: { keys: [publicKey.export({ format: "jwk" })] },
          jwks_uri: "https://app.example.test/jwks.json",
        }),
      400,
      "registration_metadata_invalid",
      "invalid_client_metadata",
    );
    expect(body.error_description).toContain("either jwks or jwks_uri, not both");
  });

  it("refuses an unknown token_endpoint_auth_method, skip_consent and a client-chosen client_id", async () => {
    const body = await expectRefused(
      t,
      () => register(t, { ...PUBLIC_CLIENT, token_endpoint_auth_method: "tls_client_auth", skip_consent: true, client_id: "mine" }),
      400,
      "registration_metadata_invalid",
      "invalid_client_metadata",
    );
    expect((body.fields as Json[]).map((f) => f.field).sort()).toEqual(["client_id", "skip_consent", "token_endpoint_auth_method"]);
  });

  it("refuses scopes no resource declares", async () => {
    const body = await expectRefused(
      t,
      () => register(t, { ...PUBLIC_CLIENT, scope: "openid admin:everything" }),
      400,
      "registration_scope_not_allowed",
      "invalid_client_metadata",
    );
    expect(body.error_description).toContain("admin:everything");
  });

  it("refuses a body that is not JSON, and a NUL character, with catalog codes", async () => {
    await expectRefused(
      t,
      () => fetch(`${t.publicUrl}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" }),
      400,
      "body_malformed",
      "invalid_request",
    );
    const body = await expectRefused(
      t,
      () => register(t, { ...PUBLIC_CLIENT, client_name: "a\u0000b" }),
      400,
      "registration_metadata_invalid",
      "invalid_client_metadata",
    );
    expect(body.error_description).toContain("client_name");
  });

  describe("RFC 7592 client configuration endpoint", () => {
    it("reads, replaces (§2.2) and deletes with the registration access token; refuses a wrong one and changes nothing", async () => {
      const created = (await (await register(t, PUBLIC_CLIENT)).json()) as Json;
      const uri = created.registration_client_uri as string;
      const auth = (token: string) => ({ authorization: `Bearer ${token}` });
      const wrong = randomBytes(32).toString("base64url");

      const refusedRead = await fetch(uri, { headers: auth(wrong) });
      expect(refusedRead.status).toBe(401);
      expect(((await refusedRead.json()) as Json).code).toBe("registration_access_token_invalid");
      expect(refusedRead.headers.get("www-authenticate")).toContain('error="invalid_token"');

      const replacement = {
        client_id: created.client_id,
        redirect_uris: ["http://127.0.0.1:40000/cb"],
        token_endpoint_auth_method: "none",
      };
      const refusedPut = await fetch(uri, {
        method: "PUT",
        headers: { ...auth(wrong), "content-type": "application/json" },
        body: JSON.stringify(replacement),
      });
      expect(((await refusedPut.json()) as Json).code).toBe("registration_access_token_invalid");
      const refusedDelete = await fetch(uri, { method: "DELETE", headers: auth(wrong) });
      expect(refusedDelete.status).toBe(401);
      const unchanged = (await (await fetch(uri, { headers: auth(created.registration_access_token as string) })).json()) as Json;
      expect(unchanged.redirect_uris).toEqual(PUBLIC_CLIENT.redirect_uris);
      expect(unchanged.client_name).toBe("Notes MCP client");

      const mismatch = await fetch(uri, {
        method: "PUT",
        headers: { ...auth(created.registration_access_token as string), "content-type": "application/json" },
        body: JSON.stringify({ ...replacement, client_id: "another" }),
      });
      expect(((await mismatch.json()) as Json).code).toBe("registration_client_id_mismatch");

      const put = await fetch(uri, {
        method: "PUT",
        headers: { ...auth(created.registration_access_token as string), "content-type": "application/json" },
        body: JSON.stringify(replacement),
      });
      const replaced = (await put.json()) as Json;
      expect(put.status, JSON.stringify(replaced)).toBe(200);
      expect(replaced.redirect_uris).toEqual(["http://127.0.0.1:40000/cb"]);
      expect(replaced.client_name).toBeUndefined(); // omitted fields are removed (RFC 7592 §2.2)
      expect(replaced.grant_types).toEqual(["authorization_code"]);

      const deleted = await fetch(uri, { method: "DELETE", headers: auth(created.registration_access_token as string) });
      expect(deleted.status).toBe(204);
      expect(await clientIds(t)).not.toContain(created.client_id);
      const after = await fetch(uri, { headers: auth(created.registration_access_token as string) });
      expect(after.status).toBe(401);
      const audit = (await (await t.admin(`/admin/v1/audit-events?subject=${created.client_id}`)).json()) as { audit_events: Json[] };
      expect(audit.audit_events.map((e) => e.type).sort()).toEqual([
        "client.registered",
        "client.registration_deleted",
        "client.registration_updated",
      ]);
    });

    it("an administrator may delete a registered client; its registration goes with it", async () => {
      const created = (await (await register(t, PUBLIC_CLIENT)).json()) as Json;
      expect((await t.admin(`/admin/v1/clients/${created.client_id}`, { method: "DELETE" })).status).toBe(204);
      const rows = await t.ward.database.db.selectFrom("client_registrations").select("client_id").execute();
      expect(rows.map((row) => row.client_id)).not.toContain(created.client_id);
      const read = await fetch(created.registration_client_uri as string, {
        headers: { authorization: `Bearer ${created.registration_access_token}` },
      });
      expect(read.status).toBe(401);
    });

    it("never lets a registration access token manage an admin-created client", async () => {
      const response = await fetch(`${t.publicUrl}/register/anything`, { headers: { authorization: "Bearer guess" } });
      expect(response.status).toBe(401);
      expect(((await response.json()) as Json).code).toBe("registration_access_token_invalid");
    });
  });
});

describe("registration.policy admin_only (the ward server default)", () => {
  const t = useTestWard();

  it("refuses registration with registration_disabled and does not advertise the endpoint", async () => {
    await expectRefused(t, () => register(t, PUBLIC_CLIENT), 403, "registration_disabled", "access_denied");
    expect((await metadata(t)).registration_endpoint).toBeUndefined();
  });
});

describe("registration.policy initial_access_token", () => {
  let now = Date.now();
  const t = useTestWard({ registration: { policy: "initial_access_token" } }, { now: () => now });

  async function issue(body: unknown): Promise<Json> {
    const response = await t.admin("/admin/v1/registration-tokens", { body });
    expect(response.status).toBe(201);
    return (await response.json()) as Json;
  }

  it("refuses a request without a token, with an unknown one, an expired one and a used-up one", async () => {
    await expectRefused(t, () => register(t, PUBLIC_CLIENT), 401, "registration_initial_access_token_missing", "invalid_token");
    const unknown = await expectRefused(
      t,
      () => register(t, PUBLIC_CLIENT, { authorization: "Bearer not-issued" }),
      401,
      "registration_initial_access_token_invalid",
      "invalid_token",
    );
    expect(unknown.error_description).toContain("not a token this server issued");

    const single = await issue({ uses: 1, description: "one MCP client" });
    expect((await register(t, PUBLIC_CLIENT, { authorization: `Bearer ${single.token}` })).status).toBe(201);
    const usedUp = await expectRefused(
      t,
      () => register(t, PUBLIC_CLIENT, { authorization: `Bearer ${single.token}` }),
      401,
      "registration_initial_access_token_invalid",
      "invalid_token",
    );
    expect(usedUp.error_description).toContain("used up");

    const shortLived = await issue({ expires_in: 60 });
    now += 120_000;
    const expired = await expectRefused(
      t,
      () => register(t, PUBLIC_CLIENT, { authorization: `Bearer ${shortLived.token}` }),
      401,
      "registration_initial_access_token_invalid",
      "invalid_token",
    );
    expect(expired.error_description).toContain("expired");
  });

  it("lists tokens without their values, and a deleted token registers nothing", async () => {
    const token = await issue({ description: "to delete" });
    const list = (await (await t.admin("/admin/v1/registration-tokens")).json()) as { registration_tokens: Json[] };
    const listed = list.registration_tokens.find((entry) => entry.id === token.id) as Json;
    expect(listed).toMatchObject({ description: "to delete", uses_left: null });
    expect(JSON.stringify(list)).not.toContain(token.token as string);
    expect((await t.admin(`/admin/v1/registration-tokens/${token.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await t.admin(`/admin/v1/registration-tokens/${token.id}`, { method: "DELETE" })).status).toBe(404);
    await expectRefused(
      t,
      () => register(t, PUBLIC_CLIENT, { authorization: `Bearer ${token.token}` }),
      401,
      "registration_initial_access_token_invalid",
      "invalid_token",
    );
  });
});

describe("registration.policy approved_redirects", () => {
  const t = useTestWard({
    registration: { policy: "approved_redirects", approved_redirects: ["https://*.apps.example.test/callback", "http://127.0.0.1/cb/*"] },
  });

  it("accepts redirect URIs matching a pattern and refuses others with registration_redirect_uri_not_approved", async () => {
    const ok = await register(t, {
      ...PUBLIC_CLIENT,
      redirect_uris: ["https://notes.apps.example.test/callback", "http://127.0.0.1/cb/mcp"],
    });
    expect(ok.status, await ok.clone().text()).toBe(201);
    const body = await expectRefused(
      t,
      () =>
        register(t, {
          ...PUBLIC_CLIENT,
          redirect_uris: ["https://notes.apps.example.test/callback", "https://evil.example.test/callback"],
        }),
      400,
      "registration_redirect_uri_not_approved",
      "invalid_redirect_uri",
    );
    expect(body.error_description).toContain("redirect_uris[1]");
  });
});

describe("registration on a production (https, non-loopback) issuer", () => {
  const t = useTestWard({
    server: { issuer: "https://auth.example.test" },
    session: { secret: randomBytes(32).toString("hex") },
    keys: { publish_ahead: 300 },
    registration: { policy: "open", rate_limit: 2 },
  });

  it("refuses an http redirect URI outside loopback", async () => {
    const body = await expectRefused(
      t,
      () => register(t, { ...PUBLIC_CLIENT, redirect_uris: ["http://app.example.test/callback"] }),
      400,
      "registration_redirect_uri_invalid",
      "invalid_redirect_uri",
    );
    expect(body.error_description).toContain("https");
  });

  it("limits registrations per client address (429 with Retry-After)", async () => {
    // The refused request above counted too: one more is accepted, the next is refused.
    expect((await register(t, PUBLIC_CLIENT)).status).toBe(201);
    const before = await clientIds(t);
    const limited = await register(t, PUBLIC_CLIENT);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3600");
    expect(((await limited.json()) as Json).code).toBe("registration_rate_limited");
    expect(await clientIds(t)).toEqual(before);
  });
});

describe("registration.approved_redirects patterns", () => {
  it("matches exact URIs, one leftmost host label and a path suffix; nothing else", () => {
    const patterns = ["https://*.example.test/cb", "https://app.example.test/oauth/*", "http://127.0.0.1:8080/callback"];
    expect(matchesApprovedRedirect("https://a.example.test/cb", patterns)).toBe(true);
    expect(matchesApprovedRedirect("https://a.b.example.test/cb", patterns)).toBe(false);
    expect(matchesApprovedRedirect("https://example.test/cb", patterns)).toBe(false);
    expect(matchesApprovedRedirect("https://a.example.test/cb/more", patterns)).toBe(false);
    expect(matchesApprovedRedirect("https://app.example.test/oauth/mcp/callback", patterns)).toBe(true);
    expect(matchesApprovedRedirect("https://app.example.test/oauth/../admin", patterns)).toBe(false);
    expect(matchesApprovedRedirect("https://app.example.test/oauth/x?next=1", patterns)).toBe(false);
    expect(matchesApprovedRedirect("https://app.example.test/oauthx", patterns)).toBe(false);
    expect(matchesApprovedRedirect("http://127.0.0.1:8080/callback", patterns)).toBe(true);
    expect(matchesApprovedRedirect("http://127.0.0.1:8081/callback", patterns)).toBe(false);
  });

  it("refuses wildcards anywhere else, at load time, naming the pattern", () => {
    expect(redirectPatternProblem("https://app.*.test/cb")).toContain("only allowed");
    expect(redirectPatternProblem("https://*.test/cb")).toContain("at least two labels");
    expect(redirectPatternProblem("https://app.example.test/*/cb")).toContain("only allowed");
    expect(redirectPatternProblem("https://app.example.test/cb#x")).toContain("fragment");
    const loaded = loadConfig({ env: { WARD_REGISTRATION_APPROVED_REDIRECTS: "https://*.example.test/cb, https://a*.example.test/cb" } });
    expect(loaded.problems.map((p) => p.code)).toEqual(["config_invalid_value"]);
    expect(loaded.problems[0]?.message).toContain("https://a*.example.test/cb");
    const ok = loadConfig({ env: { WARD_REGISTRATION_APPROVED_REDIRECTS: "https://*.example.test/cb, https://app.example.test/cb/*" } });
    expect(ok.problems).toEqual([]);
    expect(ok.config.registration.approved_redirects).toEqual(["https://*.example.test/cb", "https://app.example.test/cb/*"]);
  });
});
