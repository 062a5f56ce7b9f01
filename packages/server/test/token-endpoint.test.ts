import { randomUUID } from "node:crypto";
import { type CryptoKey, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import * as oauth from "oauth4webapi";
import { beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../src/crypto/tokens.js";
import { type Json, useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import {
  authorizeUrl,
  NATIVE_REDIRECT,
  RESOURCE,
  seedFlowFixtures,
  signInAndConsent,
  verifierAndChallenge,
  WEB_REDIRECT,
} from "./support/flow.js";
import { startTestWard, type TestWard } from "./support/ward.js";

/** Config-level lifetimes differ from the defaults so the precedence client > resource > config is visible. */
const CONFIG_ACCESS_TTL = 1800;
const CONFIG_ID_TTL = 900;
const t = useTestWard({ tokens: { access_token_ttl: CONFIG_ACCESS_TTL, id_token_ttl: CONFIG_ID_TTL } });

const POST_REDIRECT = "https://post.example.test/cb";
const JWT_REDIRECT = "https://jwt.example.test/cb";
const REPORTS = "https://reports.example.test/api";
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let webSecret: string;
let postSecret: string;
let otherSecret: string;
let jwtKeys: { publicKey: CryptoKey; privateKey: CryptoKey };
let browser: TestBrowser;
let as: oauth.AuthorizationServer;

async function created(response: Response): Promise<Json> {
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).toBe(201);
  return body;
}

beforeAll(async () => {
  ({ webSecret } = await seedFlowFixtures(t));
  const base = { grant_types: ["authorization_code", "refresh_token"] };
  postSecret = (
    await created(
      await t.admin("/admin/v1/clients", {
        body: { ...base, client_id: "post-app", redirect_uris: [POST_REDIRECT], token_endpoint_auth_method: "client_secret_post" },
      }),
    )
  ).client_secret as string;
  otherSecret = (
    await created(
      await t.admin("/admin/v1/clients", {
        body: { ...base, client_id: "other-app", redirect_uris: ["https://other.example.test/cb"] },
      }),
    )
  ).client_secret as string;
  jwtKeys = await generateKeyPair("ES256", { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(jwtKeys.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  await created(
    await t.admin("/admin/v1/clients", {
      body: {
        ...base,
        client_id: "jwt-app",
        redirect_uris: [JWT_REDIRECT],
        token_endpoint_auth_method: "private_key_jwt",
        jwks: { keys: [publicJwk] },
      },
    }),
  );
  await created(
    await t.admin("/admin/v1/clients", {
      body: {
        client_id: "code-only-app",
        redirect_uris: [NATIVE_REDIRECT],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "none",
        application_type: "native",
      },
    }),
  );
  await created(
    await t.admin("/admin/v1/clients", {
      body: {
        ...base,
        client_id: "ttl-app",
        redirect_uris: [NATIVE_REDIRECT],
        token_endpoint_auth_method: "none",
        application_type: "native",
      },
    }),
  );
  await created(
    await t.admin("/admin/v1/resources", { body: { uri: REPORTS, scopes: [{ name: "reports:read", description: "Read reports" }] } }),
  );
  browser = new TestBrowser(t.publicUrl);
  const issuer = new URL(t.publicUrl);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }));
});

interface Flow {
  code: string;
  verifier: string;
  callback: URL;
}

/** Signs in (once per browser), consents and returns the code sent to the client's redirect URI. */
async function authorizeCode(
  clientId: string,
  redirectUri: string,
  options: { scope?: string; resource?: string | undefined; ward?: TestWard; browser?: TestBrowser } = {},
): Promise<Flow> {
  const { verifier, challenge } = verifierAndChallenge();
  const page = await signInAndConsent(
    options.browser ?? browser,
    authorizeUrl(options.ward ?? t, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope: options.scope ?? "offline_access notes:read",
      resource: "resource" in options ? options.resource : RESOURCE,
      code_challenge: challenge,
      code_challenge_method: "S256",
    }),
  );
  expect(page.left, page.html.slice(0, 800)).toBeTruthy();
  const callback = new URL(page.left as string);
  const code = callback.searchParams.get("code");
  expect(code, callback.toString()).toBeTruthy();
  return { code: code as string, verifier, callback };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

async function postToken(params: Record<string, string>, headers: Record<string, string> = {}, ward: TestWard = t): Promise<Answer> {
  const response = await fetch(`${ward.publicUrl}/token`, { method: "POST", headers, body: new URLSearchParams(params) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Json };
}

/** The code exchange of cli-app (public), with the right redirect URI, resource and verifier unless overridden. */
const cliRedeem = (flow: Flow, extra: Record<string, string> = {}, ward: TestWard = t) =>
  postToken(
    {
      grant_type: "authorization_code",
      client_id: "cli-app",
      code: flow.code,
      redirect_uri: NATIVE_REDIRECT,
      code_verifier: flow.verifier,
      resource: RESOURCE,
      ...extra,
    },
    {},
    ward,
  );

const cliRefresh = (refreshToken: string, extra: Record<string, string> = {}, ward: TestWard = t) =>
  postToken({ grant_type: "refresh_token", client_id: "cli-app", refresh_token: refreshToken, ...extra }, {}, ward);

function expectIssued(answer: Answer): Json {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(typeof answer.body.access_token).toBe("string");
  expect(answer.headers.get("cache-control")).toBe("no-store");
  return answer.body;
}

function expectRefused(answer: Answer, status: number, error: string, code: string): Json {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body).toMatchObject({ error, code });
  expect(answer.body.access_token).toBeUndefined();
  expect(answer.body.refresh_token).toBeUndefined();
  expect(typeof answer.body.error_description).toBe("string");
  if (status === 401) expect(answer.headers.get("www-authenticate")).toMatch(/^Basic realm="/);
  return answer.body;
}

/** Rows of issued state: nothing may change when a request is refused. */
async function issuedState(ward: TestWard = t) {
  const db = ward.ward.database.db;
  const count = async (table: "access_tokens" | "refresh_tokens" | "token_families") =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const spent = await db.selectFrom("refresh_tokens").select("token_hash").where("spent_at", "is not", null).execute();
  const revoked = await db.selectFrom("token_families").select("id").where("revoked_at", "is not", null).execute();
  const used = await db.selectFrom("authorization_codes").select("code_hash").where("used_at", "is not", null).execute();
  return {
    access: await count("access_tokens"),
    refresh: await count("refresh_tokens"),
    families: await count("token_families"),
    spent: spent.length,
    revoked: revoked.length,
    usedCodes: used.length,
  };
}

/** Runs `request` and checks that no token was issued, spent or revoked and no code was used. */
async function unchanged(request: () => Promise<Answer>): Promise<Answer> {
  const before = await issuedState();
  const answer = await request();
  expect(await issuedState()).toEqual(before);
  return answer;
}

const claims = (jwt: unknown) => decodeJwt(jwt as string) as Record<string, unknown> & { exp: number; iat: number };

/** A private_key_jwt assertion for jwt-app, valid unless a field is overridden. */
function assertion(
  options: { jti?: string | null; aud?: string; key?: CryptoKey | Uint8Array; alg?: string; iss?: string; sub?: string; exp?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: options.alg ?? "ES256", kid: "k1" })
    .setIssuer(options.iss ?? "jwt-app")
    .setSubject(options.sub ?? "jwt-app")
    .setAudience(options.aud ?? t.publicUrl)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "2m");
  if (options.jti !== null) jwt.setJti(options.jti ?? randomUUID());
  return jwt.sign(options.key ?? jwtKeys.privateKey);
}

const jwtParams = async (flow: Flow, signed?: string) => ({
  grant_type: "authorization_code",
  code: flow.code,
  redirect_uri: JWT_REDIRECT,
  code_verifier: flow.verifier,
  client_id: "jwt-app",
  client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
  client_assertion: signed ?? (await assertion()),
});

describe("client authentication at /token (RFC 6749 §2.3, RFC 7523 §2.2)", () => {
  it("accepts client_secret_basic through oauth4webapi for a client registered with it", async () => {
    const flow = await authorizeCode("web-app", WEB_REDIRECT);
    const client = { client_id: "web-app" };
    const params = oauth.validateAuthResponse(as, client, flow.callback);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(webSecret),
      params,
      WEB_REDIRECT,
      flow.verifier,
      {
        ...insecure,
        additionalParameters: { resource: RESOURCE },
      },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(tokens.token_type).toBe("bearer");
    expect(claims(tokens.access_token)).toMatchObject({ client_id: "web-app", aud: RESOURCE });
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic(webSecret), tokens.refresh_token as string, insecure),
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it("accepts client_secret_post through oauth4webapi for a client registered with it", async () => {
    const flow = await authorizeCode("post-app", POST_REDIRECT);
    const client = { client_id: "post-app" };
    const params = oauth.validateAuthResponse(as, client, flow.callback);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretPost(postSecret),
      params,
      POST_REDIRECT,
      flow.verifier,
      {
        ...insecure,
        additionalParameters: { resource: RESOURCE },
      },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(claims(tokens.access_token)).toMatchObject({ client_id: "post-app", aud: RESOURCE, scope: "offline_access notes:read" });
  });

  it("accepts private_key_jwt with an inline-registered key through oauth4webapi, for the code and the refresh grant", async () => {
    const flow = await authorizeCode("jwt-app", JWT_REDIRECT);
    const client = { client_id: "jwt-app" };
    const auth = oauth.PrivateKeyJwt({ key: jwtKeys.privateKey, kid: "k1" });
    const params = oauth.validateAuthResponse(as, client, flow.callback);
    const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, JWT_REDIRECT, flow.verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(claims(tokens.access_token)).toMatchObject({ client_id: "jwt-app" });
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token as string, insecure),
    );
    expect(typeof refreshed.access_token).toBe("string");
  });

  it("accepts none (client_id alone) for a public client", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT);
    const client = { client_id: "cli-app", token_endpoint_auth_method: "none" };
    const params = oauth.validateAuthResponse(as, client, flow.callback);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, NATIVE_REDIRECT, flow.verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(claims(tokens.access_token)).toMatchObject({ client_id: "cli-app" });
  });

  it("refuses a wrong secret with 401 client_secret_invalid and WWW-Authenticate: Basic, leaving the code usable", async () => {
    const flow = await authorizeCode("web-app", WEB_REDIRECT);
    const params = { grant_type: "authorization_code", code: flow.code, redirect_uri: WEB_REDIRECT, code_verifier: flow.verifier };
    const wrong = await unchanged(() => postToken(params, { authorization: basic("web-app", `${webSecret}x`) }));
    expectRefused(wrong, 401, "invalid_client", "client_secret_invalid");
    expect(wrong.headers.get("www-authenticate")).toBe(`Basic realm="${t.publicUrl}", charset="UTF-8"`);
    const otherClientsSecret = await unchanged(() => postToken(params, { authorization: basic("web-app", otherSecret) }));
    expectRefused(otherClientsSecret, 401, "invalid_client", "client_secret_invalid");
    expectIssued(await postToken(params, { authorization: basic("web-app", webSecret) }));
  });

  it("refuses the post method for a client registered with client_secret_basic (client_auth_method_mismatch)", async () => {
    const flow = await authorizeCode("web-app", WEB_REDIRECT);
    const params = { grant_type: "authorization_code", code: flow.code, redirect_uri: WEB_REDIRECT, code_verifier: flow.verifier };
    const mismatch = await unchanged(() => postToken({ ...params, client_id: "web-app", client_secret: webSecret }));
    expectRefused(mismatch, 401, "invalid_client", "client_auth_method_mismatch");
    expect(mismatch.body.error_description).toContain("client_secret_basic");
    const basicForPost = await unchanged(() => postToken({ ...params, code: "x" }, { authorization: basic("post-app", postSecret) }));
    expectRefused(basicForPost, 401, "invalid_client", "client_auth_method_mismatch");
    const assertionForPublic = await unchanged(async () =>
      postToken({
        grant_type: "refresh_token",
        refresh_token: "x",
        client_id: "cli-app",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await assertion({ iss: "cli-app", sub: "cli-app" }),
      }),
    );
    expectRefused(assertionForPublic, 401, "invalid_client", "client_auth_method_mismatch");
    expectIssued(await postToken(params, { authorization: basic("web-app", webSecret) }));
  });

  it("refuses two authentication methods in one request (client_auth_multiple_methods)", async () => {
    const flow = await authorizeCode("web-app", WEB_REDIRECT);
    const params = { grant_type: "authorization_code", code: flow.code, redirect_uri: WEB_REDIRECT, code_verifier: flow.verifier };
    const both = await unchanged(() => postToken({ ...params, client_secret: webSecret }, { authorization: basic("web-app", webSecret) }));
    expectRefused(both, 400, "invalid_request", "client_auth_multiple_methods");
    const postAndAssertion = await unchanged(async () =>
      postToken({
        ...params,
        client_id: "jwt-app",
        client_secret: "s",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await assertion(),
      }),
    );
    expectRefused(postAndAssertion, 400, "invalid_request", "client_auth_multiple_methods");
    expectIssued(await postToken(params, { authorization: basic("web-app", webSecret) }));
  });

  it("refuses a confidential client that sends only its client_id (client_authentication_missing)", async () => {
    const flow = await authorizeCode("web-app", WEB_REDIRECT);
    const params = { grant_type: "authorization_code", code: flow.code, redirect_uri: WEB_REDIRECT, code_verifier: flow.verifier };
    expectRefused(
      await unchanged(() => postToken({ ...params, client_id: "web-app" })),
      401,
      "invalid_client",
      "client_authentication_missing",
    );
    expectRefused(
      await unchanged(() => postToken({ ...params, client_id: "jwt-app" })),
      401,
      "invalid_client",
      "client_authentication_missing",
    );
    expectIssued(await postToken(params, { authorization: basic("web-app", webSecret) }));
  });

  it("refuses a public client that sends a secret, in the body or in Basic (client_public_secret_sent)", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT);
    expectRefused(
      await unchanged(() => cliRedeem(flow, { client_secret: "anything" })),
      401,
      "invalid_client",
      "client_public_secret_sent",
    );
    const inBasic = await unchanged(() =>
      postToken(
        { grant_type: "authorization_code", code: flow.code, redirect_uri: NATIVE_REDIRECT, code_verifier: flow.verifier },
        { authorization: basic("cli-app", "anything") },
      ),
    );
    expectRefused(inBasic, 401, "invalid_client", "client_public_secret_sent");
    expectIssued(await cliRedeem(flow));
  });

  it("refuses malformed Basic credentials (client_basic_auth_malformed)", async () => {
    const params = { grant_type: "refresh_token", refresh_token: "x" };
    const notBase64 = await unchanged(() => postToken(params, { authorization: "Basic !!!not-base64!!!" }));
    expectRefused(notBase64, 401, "invalid_client", "client_basic_auth_malformed");
    expect(notBase64.body.error_description).toContain("not base64");
    const noColon = await unchanged(() => postToken(params, { authorization: `Basic ${Buffer.from("web-app").toString("base64")}` }));
    expectRefused(noColon, 401, "invalid_client", "client_basic_auth_malformed");
    const badEncoding = await unchanged(() =>
      postToken(params, { authorization: `Basic ${Buffer.from("web-app:%zz").toString("base64")}` }),
    );
    expectRefused(badEncoding, 401, "invalid_client", "client_basic_auth_malformed");
    const otherBodyId = await unchanged(() =>
      postToken({ ...params, client_id: "post-app" }, { authorization: basic("web-app", webSecret) }),
    );
    expectRefused(otherBodyId, 401, "invalid_client", "client_basic_auth_malformed");
  });

  it("refuses an unknown client_id, in the body and in Basic (client_unknown)", async () => {
    const params = { grant_type: "refresh_token", refresh_token: "x" };
    expectRefused(await unchanged(() => postToken({ ...params, client_id: "nobody-app" })), 401, "invalid_client", "client_unknown");
    expectRefused(
      await unchanged(() => postToken(params, { authorization: basic("nobody-app", "secret") })),
      401,
      "invalid_client",
      "client_unknown",
    );
  });

  it("refuses a private_key_jwt assertion used twice (client_assertion_reused), leaving the second code usable", async () => {
    const signed = await assertion({ jti: `jti-${randomUUID()}` });
    expectIssued(await postToken(await jwtParams(await authorizeCode("jwt-app", JWT_REDIRECT), signed)));
    const second = await authorizeCode("jwt-app", JWT_REDIRECT);
    const replay = await unchanged(async () => postToken(await jwtParams(second, signed)));
    expectRefused(replay, 401, "invalid_client", "client_assertion_reused");
    expectIssued(await postToken(await jwtParams(second)));
  });

  it("refuses assertions signed by another key, for another audience, or with HS256 (client_assertion_invalid)", async () => {
    const flow = await authorizeCode("jwt-app", JWT_REDIRECT);
    const other = await generateKeyPair("ES256");
    const cases = {
      "another key": await assertion({ key: other.privateKey }),
      "wrong aud": await assertion({ aud: "https://elsewhere.example.test" }),
      HS256: await assertion({ alg: "HS256", key: new TextEncoder().encode("a shared secret of at least 32 bytes!") }),
      "iss of another client": await assertion({ iss: "web-app" }),
      "not a JWT": "not-a-jwt",
      "no jti": await assertion({ jti: null }),
      "exp an hour ahead": await assertion({ exp: "1h" }),
      "already expired": await assertion({ exp: "-5m" }),
    };
    for (const [name, signed] of Object.entries(cases)) {
      const refused = await unchanged(async () => postToken(await jwtParams(flow, signed)));
      expect(refused.status, name).toBe(401);
      expectRefused(refused, 401, "invalid_client", "client_assertion_invalid");
    }
    const wrongType = await unchanged(async () =>
      postToken({ ...(await jwtParams(flow)), client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer" }),
    );
    expectRefused(wrongType, 401, "invalid_client", "client_assertion_invalid");
    // The token endpoint URL is an accepted audience too (RFC 7523 §3).
    expectIssued(await postToken(await jwtParams(flow, await assertion({ aud: `${t.publicUrl}/token` }))));
  });
});

describe("grant_type (RFC 6749 §5.2)", () => {
  it("refuses a missing grant_type (grant_type_missing)", async () => {
    const answer = await unchanged(() => postToken({ client_id: "cli-app", code: "x" }));
    expectRefused(answer, 400, "invalid_request", "grant_type_missing");
    expect(answer.body.error_description).toContain("authorization_code, refresh_token");
  });

  it("refuses unsupported grant types such as password and implicit (grant_type_unsupported)", async () => {
    for (const grant of ["password", "implicit", "client_credentials_typo"]) {
      const answer = await unchanged(() => postToken({ grant_type: grant, client_id: "cli-app", username: "a", password: "b" }));
      expectRefused(answer, 400, "unsupported_grant_type", "grant_type_unsupported");
    }
  });

  it("refuses a grant the client is not registered for (grant_type_not_allowed_for_client)", async () => {
    const answer = await unchanged(() => postToken({ grant_type: "refresh_token", client_id: "code-only-app", refresh_token: "x" }));
    expectRefused(answer, 400, "unauthorized_client", "grant_type_not_allowed_for_client");
    expect(answer.body.error_description).toContain("code-only-app");
  });
});

describe("token request parameters", () => {
  it("refuses a parameter sent twice (token_parameter_repeated), leaving the code usable", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT);
    const body = new URLSearchParams({ grant_type: "authorization_code", client_id: "cli-app", code: flow.code });
    body.append("code", flow.code);
    body.set("redirect_uri", NATIVE_REDIRECT);
    body.set("code_verifier", flow.verifier);
    const answer = await unchanged(async () => {
      const response = await fetch(`${t.publicUrl}/token`, { method: "POST", body });
      return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
    });
    expectRefused(answer, 400, "invalid_request", "token_parameter_repeated");
    expect(answer.body.error_description).toContain("code");
    expectIssued(await cliRedeem(flow));
  });
});

describe("authorization code bindings (RFC 6749 §4.1.3, RFC 8707, RFC 7636)", () => {
  it("binds the code to its client (authorization_code_client_mismatch) and leaves it usable by its own client", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT);
    const stolen = await unchanged(() =>
      postToken(
        {
          grant_type: "authorization_code",
          code: flow.code,
          redirect_uri: NATIVE_REDIRECT,
          code_verifier: flow.verifier,
          resource: RESOURCE,
        },
        { authorization: basic("web-app", webSecret) },
      ),
    );
    expectRefused(stolen, 400, "invalid_grant", "authorization_code_client_mismatch");
    expect(stolen.body.error_description).toContain("cli-app");
    expectRefused(
      await unchanged(() => cliRedeem(flow, { client_id: "ttl-app" })),
      400,
      "invalid_grant",
      "authorization_code_client_mismatch",
    );
    expectIssued(await cliRedeem(flow));
  });

  it("binds the code to its redirect_uri byte for byte: trailing slash, other port, missing", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT);
    for (const redirect of [
      `${NATIVE_REDIRECT}/`,
      "http://127.0.0.1:8080/callback",
      "http://localhost/callback",
      "HTTP://127.0.0.1/callback",
    ]) {
      const answer = await unchanged(() => cliRedeem(flow, { redirect_uri: redirect }));
      expectRefused(answer, 400, "invalid_grant", "authorization_code_redirect_uri_mismatch");
      expect(answer.body.error_description).toContain(NATIVE_REDIRECT);
    }
    const missing = await unchanged(() =>
      postToken({ grant_type: "authorization_code", client_id: "cli-app", code: flow.code, code_verifier: flow.verifier }),
    );
    expectRefused(missing, 400, "invalid_grant", "authorization_code_redirect_uri_mismatch");
    expectIssued(await cliRedeem(flow));
  });

  it("binds the code to its resource (authorization_code_resource_mismatch)", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT);
    for (const resource of [`${RESOURCE}/`, REPORTS, "https://api.example.test/other"]) {
      const answer = await unchanged(() => cliRedeem(flow, { resource }));
      expectRefused(answer, 400, "invalid_target", "authorization_code_resource_mismatch");
    }
    const token = expectIssued(await cliRedeem(flow));
    expect(claims(token.access_token).aud).toBe(RESOURCE);
  });

  it("refuses an expired code (authorization_code_expired) without issuing anything", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT);
    await t.ward.database.db
      .updateTable("authorization_codes")
      .set({ expires_at: 1 })
      .where("code_hash", "=", hashSecret(flow.code))
      .execute();
    const answer = await unchanged(() => cliRedeem(flow));
    expectRefused(answer, 400, "invalid_grant", "authorization_code_expired");
  });

  it("refuses an unknown code (authorization_code_invalid)", async () => {
    const answer = await unchanged(() =>
      cliRedeem({ code: "not-a-code-this-server-issued", verifier: verifierAndChallenge().verifier } as Flow),
    );
    expectRefused(answer, 400, "invalid_grant", "authorization_code_invalid");
  });

  it("refuses a missing and a malformed code_verifier (pkce_verifier_missing / pkce_verifier_malformed), leaving the code usable", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT);
    const params = { grant_type: "authorization_code", client_id: "cli-app", code: flow.code, redirect_uri: NATIVE_REDIRECT };
    expectRefused(await unchanged(() => postToken(params)), 400, "invalid_request", "pkce_verifier_missing");
    expectRefused(await unchanged(() => cliRedeem(flow, { code_verifier: "" })), 400, "invalid_request", "pkce_verifier_missing");
    for (const verifier of ["too-short", `${flow.verifier}+/=`, "a".repeat(129), `${"a".repeat(42)} `]) {
      const answer = await unchanged(() => cliRedeem(flow, { code_verifier: verifier }));
      expectRefused(answer, 400, "invalid_request", "pkce_verifier_malformed");
    }
    expectIssued(await cliRedeem(flow));
  });
});

describe("refresh token grant (RFC 6749 §6, RFC 9700 §4.14)", () => {
  async function cliRefreshToken(scope = "offline_access notes:read notes:write"): Promise<string> {
    const body = expectIssued(await cliRedeem(await authorizeCode("cli-app", NATIVE_REDIRECT, { scope })));
    expect(typeof body.refresh_token).toBe("string");
    return body.refresh_token as string;
  }

  it("narrows the scope but refuses to widen it (refresh_scope_widening), leaving the token unspent", async () => {
    const token = await cliRefreshToken("offline_access notes:read");
    const wider = await unchanged(() => cliRefresh(token, { scope: "notes:read notes:write" }));
    expectRefused(wider, 400, "invalid_scope", "refresh_scope_widening");
    expect(wider.body.error_description).toContain("notes:write");
    const narrowed = expectIssued(await cliRefresh(token, { scope: "notes:read" }));
    expect(narrowed.scope).toBe("notes:read");
    expect(claims(narrowed.access_token).scope).toBe("notes:read");
  });

  it("binds the refresh token to its client (refresh_token_client_mismatch)", async () => {
    const body = expectIssued(
      await postToken(
        await (async () => {
          const flow = await authorizeCode("web-app", WEB_REDIRECT);
          return { grant_type: "authorization_code", code: flow.code, redirect_uri: WEB_REDIRECT, code_verifier: flow.verifier };
        })(),
        { authorization: basic("web-app", webSecret) },
      ),
    );
    const webToken = body.refresh_token as string;
    expectRefused(await unchanged(() => cliRefresh(webToken)), 400, "invalid_grant", "refresh_token_client_mismatch");
    expectRefused(
      await unchanged(() =>
        postToken({ grant_type: "refresh_token", refresh_token: webToken }, { authorization: basic("other-app", otherSecret) }),
      ),
      400,
      "invalid_grant",
      "refresh_token_client_mismatch",
    );
    expectIssued(await postToken({ grant_type: "refresh_token", refresh_token: webToken }, { authorization: basic("web-app", webSecret) }));
  });

  it("refuses an unknown refresh token (refresh_token_invalid) and a missing one (refresh_token_missing)", async () => {
    expectRefused(await unchanged(() => cliRefresh("definitely-not-issued")), 400, "invalid_grant", "refresh_token_invalid");
    expectRefused(
      await unchanged(() => postToken({ grant_type: "refresh_token", client_id: "cli-app" })),
      400,
      "invalid_request",
      "refresh_token_missing",
    );
  });

  it("without a grace period, a concurrent duplicate refresh is reuse: one succeeds, the other revokes the family", async () => {
    const token = await cliRefreshToken();
    const answers = await Promise.all([cliRefresh(token), cliRefresh(token)]);
    const won = answers.filter((a) => a.status === 200);
    const lost = answers.filter((a) => a.status !== 200);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expectRefused(lost[0] as Answer, 400, "invalid_grant", "refresh_token_reused");
    expectRefused(await cliRefresh((won[0] as Answer).body.refresh_token as string), 400, "invalid_grant", "refresh_token_revoked");
  });

  it("within tokens.refresh_grace_period, two concurrent refreshes get the same new pair and the family stays alive", async () => {
    const graced = await startTestWard({ tokens: { refresh_grace_period: 10 } });
    try {
      await seedFlowFixtures(graced);
      const flow = await authorizeCode("cli-app", NATIVE_REDIRECT, { ward: graced, browser: new TestBrowser(graced.publicUrl) });
      const token = expectIssued(await cliRedeem(flow, {}, graced)).refresh_token as string;
      const [a, b] = await Promise.all([cliRefresh(token, {}, graced), cliRefresh(token, {}, graced)]);
      const first = expectIssued(a as Answer);
      const second = expectIssued(b as Answer);
      expect(second.refresh_token).toBe(first.refresh_token);
      expect(second.access_token).toBe(first.access_token);
      expect(first.refresh_token).not.toBe(token);
      // A third, sequential duplicate inside the interval gets the same pair too.
      expect(expectIssued(await cliRefresh(token, {}, graced)).refresh_token).toBe(first.refresh_token);
      const families = await graced.ward.database.db.selectFrom("token_families").select("revoked_at").execute();
      expect(families.map((f) => f.revoked_at)).toEqual([null]);
      const next = expectIssued(await cliRefresh(first.refresh_token as string, {}, graced));
      expect(next.refresh_token).not.toBe(first.refresh_token);
      // Once the interval has passed, the same duplicate is reuse and revokes the family.
      await graced.ward.database.db
        .updateTable("refresh_tokens")
        .set({ spent_at: Date.now() - 11_000 })
        .where("token_hash", "=", hashSecret(first.refresh_token as string))
        .execute();
      const late = await cliRefresh(first.refresh_token as string, {}, graced);
      expectRefused(late, 400, "invalid_grant", "refresh_token_reused");
      expectRefused(await cliRefresh(next.refresh_token as string, {}, graced), 400, "invalid_grant", "refresh_token_revoked");
    } finally {
      await graced.stop();
    }
  });

  it("expires a public client's refresh token after tokens.refresh_token_idle_ttl unused (refresh_token_inactive), not a confidential one's", async () => {
    const fifteenDaysAgo = Date.now() - 15 * 86400 * 1000;
    const token = await cliRefreshToken();
    const db = t.ward.database.db;
    await db.updateTable("refresh_tokens").set({ created_at: fifteenDaysAgo }).where("token_hash", "=", hashSecret(token)).execute();
    const answer = await unchanged(() => cliRefresh(token));
    expectRefused(answer, 400, "invalid_grant", "refresh_token_inactive");
    expect(answer.body.error_description).toContain("cli-app");

    const flow = await authorizeCode("web-app", WEB_REDIRECT);
    const web = expectIssued(
      await postToken(
        { grant_type: "authorization_code", code: flow.code, redirect_uri: WEB_REDIRECT, code_verifier: flow.verifier },
        { authorization: basic("web-app", webSecret) },
      ),
    );
    const webToken = web.refresh_token as string;
    await db.updateTable("refresh_tokens").set({ created_at: fifteenDaysAgo }).where("token_hash", "=", hashSecret(webToken)).execute();
    expectIssued(await postToken({ grant_type: "refresh_token", refresh_token: webToken }, { authorization: basic("web-app", webSecret) }));
  });
});

describe("token lifetimes: client, then resource, then tokens.* config", () => {
  const lifetime = (jwt: unknown) => {
    const c = claims(jwt);
    return c.exp - c.iat;
  };

  it("uses the config's access_token_ttl and id_token_ttl when neither client nor resource sets one", async () => {
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT, { scope: "openid", resource: undefined });
    const body = expectIssued(await cliRedeemWithout(flow));
    expect(claims(body.access_token).aud).toBe(`${t.publicUrl}/userinfo`);
    expect(body.expires_in).toBe(CONFIG_ACCESS_TTL);
    expect(lifetime(body.access_token)).toBe(CONFIG_ACCESS_TTL);
    expect(lifetime(body.id_token)).toBe(CONFIG_ID_TTL);
  });

  it("uses the client's access_token_ttl and id_token_ttl over the resource's and the config's", async () => {
    const patched = await t.admin("/admin/v1/clients/ttl-app", { method: "PATCH", body: { access_token_ttl: 120, id_token_ttl: 300 } });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect(((await patched.json()) as Json).access_token_ttl).toBe(120);
    const flow = await authorizeCode("ttl-app", NATIVE_REDIRECT, { scope: "openid notes:read" });
    const body = expectIssued(await cliRedeem(flow, { client_id: "ttl-app" }));
    expect(body.expires_in).toBe(120);
    expect(lifetime(body.access_token)).toBe(120);
    expect(lifetime(body.id_token)).toBe(300);
  });

  it("uses the resource's access_token_ttl when the client has none", async () => {
    const listed = await t.admin(`/admin/v1/resources?uri=${encodeURIComponent(REPORTS)}`);
    const resource = ((await listed.json()) as { resources: Json[] }).resources[0] as Json;
    const patched = await t.admin(`/admin/v1/resources/${resource.id as string}`, { method: "PATCH", body: { access_token_ttl: 600 } });
    expect(patched.status, await patched.clone().text()).toBe(200);
    const flow = await authorizeCode("cli-app", NATIVE_REDIRECT, { scope: "openid reports:read", resource: REPORTS });
    const body = expectIssued(await cliRedeem(flow, { resource: REPORTS }));
    expect(body.expires_in).toBe(600);
    expect(lifetime(body.access_token)).toBe(600);
    expect(claims(body.access_token).aud).toBe(REPORTS);
    expect(lifetime(body.id_token)).toBe(CONFIG_ID_TTL);
    // A client with its own access_token_ttl still wins over the resource's.
    expect((await t.admin("/admin/v1/clients/ttl-app", { method: "PATCH", body: { access_token_ttl: 120 } })).status).toBe(200);
    const own = await authorizeCode("ttl-app", NATIVE_REDIRECT, { scope: "reports:read", resource: REPORTS });
    const ownBody = expectIssued(await cliRedeem(own, { client_id: "ttl-app", resource: REPORTS }));
    expect(ownBody.expires_in).toBe(120);
    expect(lifetime(ownBody.access_token)).toBe(120);
  });
});

/** A code exchange of cli-app with no resource parameter at all. */
function cliRedeemWithout(flow: Flow): Promise<Answer> {
  return postToken({
    grant_type: "authorization_code",
    client_id: "cli-app",
    code: flow.code,
    redirect_uri: NATIVE_REDIRECT,
    code_verifier: flow.verifier,
  });
}

describe("audit trail of issuance", () => {
  it("records token.issued and token.refreshed with no token, code, verifier or secret in their data", async () => {
    const flow = await authorizeCode("web-app", WEB_REDIRECT, { scope: "openid offline_access notes:read" });
    const issued = expectIssued(
      await postToken(
        { grant_type: "authorization_code", code: flow.code, redirect_uri: WEB_REDIRECT, code_verifier: flow.verifier },
        { authorization: basic("web-app", webSecret) },
      ),
    );
    const refreshed = expectIssued(
      await postToken(
        { grant_type: "refresh_token", refresh_token: issued.refresh_token as string },
        { authorization: basic("web-app", webSecret) },
      ),
    );
    const issuedJti = claims(issued.access_token).jti as string;
    const rows = await t.ward.database.db.selectFrom("audit_events").selectAll().execute();
    const mine = rows.filter((row) => row.data.includes(issuedJti));
    expect(mine.map((row) => row.type)).toEqual(["token.issued"]);
    const refreshedRow = rows.find((row) => row.data.includes(claims(refreshed.access_token).jti as string));
    expect(refreshedRow?.type).toBe("token.refreshed");
    expect(refreshedRow?.actor).toBe("web-app");
    const secrets = [
      flow.code,
      hashSecret(flow.code),
      flow.verifier,
      webSecret,
      issued.access_token,
      issued.refresh_token,
      hashSecret(issued.refresh_token as string),
      issued.id_token,
      refreshed.access_token,
      refreshed.refresh_token,
      hashSecret(refreshed.refresh_token as string),
      refreshed.id_token,
    ] as string[];
    for (const row of rows) {
      for (const secret of secrets) expect(row.data.includes(secret), `${row.type} contains a secret`).toBe(false);
    }
  });
});
