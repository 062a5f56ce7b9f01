import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { expectInvalid, useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { dpopKey, issuedCount, macProof, proof, type RawResponse, rawRequest, type TestDpopKey, unsignedProof } from "./support/dpop.js";
import { authorizeUrl, cliAppCode, NATIVE_REDIRECT, seedFlowFixtures, verifierAndChallenge, WEB_REDIRECT } from "./support/flow.js";

const t = useTestWard({ grants: { client_credentials: true } });
let signedIn: TestBrowser;
let webSecret: string;
const tokenUrl = () => `${t.publicUrl}/token`;
const now = () => Math.floor(Date.now() / 1000);

/** A fresh code (the shared browser is signed in and has consented). */
async function freshCode(extra: Record<string, string> = {}, clientId = "cli-app", redirectUri = NATIVE_REDIRECT) {
  const { code, verifier } = await cliAppCode(t, signedIn, {
    scope: "openid offline_access",
    client_id: clientId,
    redirect_uri: redirectUri,
    ...extra,
  });
  return { code, verifier };
}

function exchange(grant: { code: string; verifier: string }, headers: Record<string, string | string[]> = {}): Promise<RawResponse> {
  return rawRequest(tokenUrl(), {
    headers,
    form: {
      grant_type: "authorization_code",
      client_id: "cli-app",
      code: grant.code,
      redirect_uri: NATIVE_REDIRECT,
      code_verifier: grant.verifier,
    },
  });
}

function refresh(refreshToken: string, headers: Record<string, string | string[]> = {}, clientId = "cli-app"): Promise<RawResponse> {
  return rawRequest(tokenUrl(), { headers, form: { grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken } });
}

const goodProof = (key: TestDpopKey) => proof(key, { htu: tokenUrl() });

function expectRefused(response: RawResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.code).toBe(code);
}

/** The exchange succeeded with a token bound to `key`: proves the code was still unused. */
async function expectBoundExchange(grant: { code: string; verifier: string }, key: TestDpopKey) {
  const response = await exchange(grant, { dpop: await goodProof(key) });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect(response.body.token_type).toBe("DPoP");
  expect(decodeJwt(response.body.access_token).cnf).toEqual({ jkt: key.jkt });
  return response.body as { access_token: string; refresh_token: string };
}

beforeAll(async () => {
  ({ webSecret } = await seedFlowFixtures(t));
  signedIn = new TestBrowser(t.publicUrl);
  await freshCode();
});

describe("RFC 9449 §4.3: proof checks at the token endpoint (each refused with its own code; the code stays unused)", () => {
  const cases: [string, string, (key: TestDpopKey) => Promise<Record<string, string | string[]>>][] = [
    ["htm of another method", "dpop_htm_mismatch", async (key) => ({ dpop: await proof(key, { htm: "GET", htu: tokenUrl() }) })],
    ["htu of another endpoint", "dpop_htu_mismatch", async (key) => ({ dpop: await proof(key, { htu: `${t.publicUrl}/userinfo` }) })],
    [
      "htu of a forged Host (the expected htu comes from server.issuer, not from Host)",
      "dpop_htu_mismatch",
      async (key) => ({ host: "evil.example", dpop: await proof(key, { htu: "http://evil.example/token" }) }),
    ],
    ["a stale iat", "dpop_iat_out_of_range", async (key) => ({ dpop: await proof(key, { htu: tokenUrl(), iat: now() - 600 }) })],
    ["an iat in the future", "dpop_iat_out_of_range", async (key) => ({ dpop: await proof(key, { htu: tokenUrl(), iat: now() + 600 }) })],
    [
      "a private key in the jwk header",
      "dpop_proof_private_key",
      async (key) => ({ dpop: await proof(key, { htu: tokenUrl() }, key.privateJwk) }),
    ],
    ["alg none", "dpop_proof_alg_unsupported", async (key) => ({ dpop: unsignedProof(key, { htu: tokenUrl() }) })],
    ["alg HS256", "dpop_proof_alg_unsupported", async (key) => ({ dpop: await macProof(key, { htu: tokenUrl() }) })],
    ["two DPoP headers", "dpop_proof_multiple", async (key) => ({ dpop: [await goodProof(key), await goodProof(key)] })],
    ["a proof that is not a JWT", "dpop_proof_invalid", async () => ({ dpop: "not-a-jwt" })],
  ];
  for (const [name, code, headers] of cases) {
    it(`refuses ${name}: ${code}`, async () => {
      const key = await dpopKey();
      const grant = await freshCode();
      const before = await issuedCount(t);
      const response = await exchange(grant, await headers(key));
      expectRefused(response, 400, code);
      expect(response.body.error).toBe("invalid_dpop_proof");
      if (code === "dpop_htu_mismatch") expect(response.body.error_description).toContain(`${t.publicUrl}/token`);
      expect(await issuedCount(t)).toBe(before);
      await expectBoundExchange(grant, key);
    });
  }

  it("binds to the proof's key whatever the Host header says, when htu is the issuer's token URL", async () => {
    const key = await dpopKey();
    const response = await exchange(await freshCode(), { host: "evil.example", dpop: await goodProof(key) });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(decodeJwt(response.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it("refuses a replayed proof (the same jti): dpop_jti_reused, nothing issued", async () => {
    const key = await dpopKey();
    const used = await goodProof(key);
    expect((await exchange(await freshCode(), { dpop: used })).status).toBe(200);
    const grant = await freshCode();
    const before = await issuedCount(t);
    expectRefused(await exchange(grant, { dpop: used }), 400, "dpop_jti_reused");
    expect(await issuedCount(t)).toBe(before);
    await expectBoundExchange(grant, key);
  });

  it("issues a Bearer token (no cnf) without a DPoP header, as before", async () => {
    const response = await exchange(await freshCode());
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe("Bearer");
    expect(decodeJwt(response.body.access_token).cnf).toBeUndefined();
  });
});

describe("RFC 9449 §10: dpop_jkt on the authorization request", () => {
  it("binds the code to the key: another key or no proof is dpop_jkt_mismatch (nothing issued); the named key succeeds", async () => {
    const [named, other] = [await dpopKey(), await dpopKey()];
    const grant = await freshCode({ dpop_jkt: named.jkt });
    const before = await issuedCount(t);
    const withOther = await exchange(grant, { dpop: await goodProof(other) });
    expectRefused(withOther, 400, "dpop_jkt_mismatch");
    expect(withOther.body.error_description).toContain(named.jkt);
    expect(withOther.body.error_description).toContain(other.jkt);
    expectRefused(await exchange(grant), 400, "dpop_jkt_mismatch");
    expect(await issuedCount(t)).toBe(before);
    await expectBoundExchange(grant, named);
    const events = (await (await t.admin("/admin/v1/audit-events?type=token.issued&limit=1")).json()) as {
      audit_events: { data: { dpop_jkt?: string } }[];
    };
    expect(events.audit_events[0]?.data.dpop_jkt, "the audit event names the key the tokens are bound to").toBe(named.jkt);
  });

  it("refuses a dpop_jkt that is not a thumbprint with a redirect carrying dpop_jkt_invalid", async () => {
    const { challenge } = verifierAndChallenge();
    const page = await signedIn.navigate(
      authorizeUrl(t, {
        client_id: "cli-app",
        redirect_uri: NATIVE_REDIRECT,
        response_type: "code",
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
        dpop_jkt: "not a thumbprint",
      }),
    );
    expect(page.redirectParams.get("error")).toBe("invalid_request");
    expect(page.redirectParams.get("error_uri")).toMatch(/\/errors\/dpop_jkt_invalid$/);
    expect(page.redirectParams.get("code")).toBeNull();
  });
});

describe("RFC 9449 §5: refresh tokens", () => {
  it("binds a public client's refresh token to its key: another key or no proof is dpop_refresh_key_swap, and the token stays usable", async () => {
    const [key, other] = [await dpopKey(), await dpopKey()];
    const tokens = await expectBoundExchange(await freshCode(), key);
    const before = await issuedCount(t);
    const swapped = await refresh(tokens.refresh_token, { dpop: await goodProof(other) });
    expectRefused(swapped, 400, "dpop_refresh_key_swap");
    expect(swapped.body.error_description).toContain(key.jkt);
    expectRefused(await refresh(tokens.refresh_token), 400, "dpop_refresh_key_swap");
    expect(await issuedCount(t)).toBe(before);
    const refreshed = await refresh(tokens.refresh_token, { dpop: await goodProof(key) });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.token_type).toBe("DPoP");
    expect(decodeJwt(refreshed.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it("does not bind a confidential client's refresh token; its new access token is bound to the refresh request's key", async () => {
    const [first, second] = [await dpopKey(), await dpopKey()];
    const grant = await freshCode({}, "web-app", WEB_REDIRECT);
    const basic = `Basic ${Buffer.from(`web-app:${webSecret}`).toString("base64")}`;
    const exchanged = await rawRequest(tokenUrl(), {
      headers: { authorization: basic, dpop: await goodProof(first) },
      form: { grant_type: "authorization_code", code: grant.code, redirect_uri: WEB_REDIRECT, code_verifier: grant.verifier },
    });
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    expect(decodeJwt(exchanged.body.access_token).cnf).toEqual({ jkt: first.jkt });
    const refreshed = await rawRequest(tokenUrl(), {
      headers: { authorization: basic, dpop: await goodProof(second) },
      form: { grant_type: "refresh_token", refresh_token: exchanged.body.refresh_token },
    });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.token_type).toBe("DPoP");
    expect(decodeJwt(refreshed.body.access_token).cnf).toEqual({ jkt: second.jkt });
  });
});

describe("RFC 9449 §5.2 dpop_bound_access_tokens and a resource's dpop_required", () => {
  const STRICT = "https://strict.example.test/api";
  let services: Record<string, string>;

  beforeAll(async () => {
    const created = async (path: string, body: Record<string, unknown>) => {
      const response = await t.admin(path, { body });
      const json = (await response.json()) as Record<string, unknown>;
      expect(response.status, JSON.stringify(json)).toBe(201);
      return json;
    };
    const resource = await created("/admin/v1/resources", {
      uri: STRICT,
      scopes: [{ name: "strict:read", description: "Read strictly" }],
      dpop_required: true,
    });
    expect(resource.dpop_required).toBe(true);
    const strictClient = await created("/admin/v1/clients", {
      client_id: "dpop-service",
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: "client_secret_post",
      scope: "notes:read",
      dpop_bound_access_tokens: true,
    });
    expect(strictClient.dpop_bound_access_tokens).toBe(true);
    const plainClient = await created("/admin/v1/clients", {
      client_id: "plain-service",
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: "client_secret_post",
      scope: "strict:read",
    });
    expect(plainClient.dpop_bound_access_tokens).toBe(false);
    services = { "dpop-service": strictClient.client_secret as string, "plain-service": plainClient.client_secret as string };
  });

  const credentials = (clientId: string, headers: Record<string, string> = {}) =>
    rawRequest(tokenUrl(), {
      headers,
      form: { grant_type: "client_credentials", client_id: clientId, client_secret: services[clientId] as string },
    });

  it("refuses a token request without a proof from a client registered with dpop_bound_access_tokens: dpop_required_by_client", async () => {
    const before = await issuedCount(t);
    const refused = await credentials("dpop-service");
    expectRefused(refused, 400, "dpop_required_by_client");
    expect(refused.body.error_description).toContain("dpop-service");
    expect(await issuedCount(t)).toBe(before);
    const key = await dpopKey();
    const issued = await credentials("dpop-service", { dpop: await goodProof(key) });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body.token_type).toBe("DPoP");
    expect(decodeJwt(issued.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it("refuses a Bearer token for a resource registered with dpop_required: dpop_required_by_resource", async () => {
    const before = await issuedCount(t);
    const refused = await credentials("plain-service");
    expectRefused(refused, 400, "dpop_required_by_resource");
    expect(refused.body.error_description).toContain(STRICT);
    expect(await issuedCount(t)).toBe(before);
    expect((await credentials("plain-service", { dpop: await goodProof(await dpopKey()) })).body.token_type).toBe("DPoP");
  });

  it("answers introspection of a bound token with token_type DPoP and cnf.jkt (RFC 9449 §6.2)", async () => {
    const key = await dpopKey();
    const issued = await credentials("dpop-service", { dpop: await goodProof(key) });
    const answer = await rawRequest(`${t.publicUrl}/introspect`, {
      form: { token: issued.body.access_token, client_id: "dpop-service", client_secret: services["dpop-service"] as string },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ active: true, token_type: "DPoP", cnf: { jkt: key.jkt } });
  });

  it("refuses a dpop_bound_access_tokens or dpop_required that is not a boolean (admin_invalid_body)", async () => {
    await expectInvalid(await t.admin("/admin/v1/clients/plain-service", { method: "PATCH", body: { dpop_bound_access_tokens: "yes" } }), [
      "dpop_bound_access_tokens",
    ]);
    await expectInvalid(await t.admin("/admin/v1/resources", { body: { uri: "https://other.example.test/", dpop_required: 1 } }), [
      "dpop_required",
    ]);
    const client = (await (await t.admin("/admin/v1/clients/plain-service")).json()) as Record<string, unknown>;
    expect(client.dpop_bound_access_tokens).toBe(false);
  });
});

describe("RFC 9449 §7.1 at userinfo", () => {
  const userinfo = () => `${t.publicUrl}/userinfo`;
  let key: TestDpopKey;
  let accessToken: string;

  beforeAll(async () => {
    key = await dpopKey();
    ({ access_token: accessToken } = await expectBoundExchange(await freshCode(), key));
  });

  const call = (headers: Record<string, string>) => rawRequest(userinfo(), { method: "GET", headers });

  it("refuses a bound token sent as Bearer: 401 dpop_bound_token_as_bearer with a DPoP challenge", async () => {
    const response = await call({ authorization: `Bearer ${accessToken}` });
    expectRefused(response, 401, "dpop_bound_token_as_bearer");
    expect(response.headers["www-authenticate"]).toMatch(/^DPoP /);
    expect(response.headers["www-authenticate"]).toContain('algs="ES256');
  });

  it("refuses the DPoP scheme without a proof (dpop_proof_missing), a proof without ath (dpop_proof_invalid), or by another key (dpop_key_mismatch)", async () => {
    expectRefused(await call({ authorization: `DPoP ${accessToken}` }), 401, "dpop_proof_missing");
    const withoutAth = await proof(key, { htm: "GET", htu: userinfo() });
    expectRefused(await call({ authorization: `DPoP ${accessToken}`, dpop: withoutAth }), 401, "dpop_proof_invalid");
    const stranger = await proof(await dpopKey(), { htm: "GET", htu: userinfo(), accessToken });
    expectRefused(await call({ authorization: `DPoP ${accessToken}`, dpop: stranger }), 401, "dpop_key_mismatch");
  });

  it("serves the claims with Authorization: DPoP and a proof by the token's key with ath", async () => {
    const response = await call({
      authorization: `DPoP ${accessToken}`,
      dpop: await proof(key, { htm: "GET", htu: userinfo(), accessToken }),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.sub).toMatch(/^usr_/);
  });

  it("refuses the DPoP scheme with a Bearer token: dpop_scheme_without_binding", async () => {
    const plain = await exchange(await freshCode());
    const token = plain.body.access_token as string;
    const response = await call({
      authorization: `DPoP ${token}`,
      dpop: await proof(key, { htm: "GET", htu: userinfo(), accessToken: token }),
    });
    expectRefused(response, 401, "dpop_scheme_without_binding");
  });
});
