import { decodeJwt } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../src/crypto/tokens.js";
import type { Json } from "./support/admin.js";
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

/** The server's clock runs this far ahead: tests move it to see a token expire without waiting. */
let skewMs = 0;
const startClockedWard = () => startTestWard({}, { now: () => Date.now() + skewMs });

let t: TestWard;
let webSecret: string;
let apiSecret: string;
let otherSecret: string;
let browser: TestBrowser;
let as: oauth.AuthorizationServer;
const insecure = { [oauth.allowInsecureRequests]: true } as const;

beforeAll(async () => {
  t = await startClockedWard();
  ({ webSecret } = await seedFlowFixtures(t));
  const rotated = await t.admin("/admin/v1/clients/api-server/rotate-secret", { method: "POST" });
  expect(rotated.status).toBe(200);
  apiSecret = ((await rotated.json()) as Json).client_secret as string;
  const other = await t.admin("/admin/v1/clients", {
    body: {
      client_id: "other-app",
      redirect_uris: ["https://other.example.test/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  });
  expect(other.status).toBe(201);
  otherSecret = ((await other.json()) as Json).client_secret as string;
  browser = new TestBrowser(t.publicUrl);
  const issuer = new URL(t.publicUrl);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }));
});

afterAll(async () => {
  await t?.stop();
});

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token?: string;
  scope: string;
}

/** A full code flow for web-app (client_secret_basic) or cli-app (public); returns the token response. */
async function grant(clientId: "web-app" | "cli-app", scope = "openid offline_access notes:read", resource: string | null = RESOURCE) {
  const redirectUri = clientId === "web-app" ? WEB_REDIRECT : NATIVE_REDIRECT;
  const { verifier, challenge } = verifierAndChallenge();
  const page = await signInAndConsent(
    browser,
    authorizeUrl(t, {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope,
      resource: resource ?? undefined,
      code_challenge: challenge,
      code_challenge_method: "S256",
    }),
  );
  const code = new URL(page.left as string).searchParams.get("code") as string;
  expect(code, page.left).toBeTruthy();
  const params: Record<string, string> = { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier };
  const headers: Record<string, string> = {};
  if (clientId === "web-app") headers.authorization = basic("web-app", webSecret);
  else params.client_id = "cli-app";
  const response = await fetch(`${t.publicUrl}/token`, { method: "POST", headers, body: new URLSearchParams(params) });
  const body = (await response.json()) as Tokens;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

type Auth = { basic: [string, string] } | { post: [string, string] } | { none: string } | Record<string, never>;

async function call(path: "/revoke" | "/introspect" | "/token", params: Record<string, string>, auth: Auth) {
  const headers: Record<string, string> = {};
  const body = new URLSearchParams(params);
  if ("basic" in auth) headers.authorization = basic(...auth.basic);
  if ("post" in auth) {
    body.set("client_id", auth.post[0]);
    body.set("client_secret", auth.post[1]);
  }
  if ("none" in auth) body.set("client_id", auth.none);
  const response = await fetch(`${t.publicUrl}${path}`, { method: "POST", headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: (text ? JSON.parse(text) : undefined) as Json | undefined };
}

const web = (): Auth => ({ basic: ["web-app", webSecret] });
const api = (): Auth => ({ post: ["api-server", apiSecret] });
const other = (): Auth => ({ basic: ["other-app", otherSecret] });

const revoke = (token: string, auth: Auth, extra: Record<string, string> = {}) => call("/revoke", { token, ...extra }, auth);
const introspect = async (token: string, auth: Auth) => {
  const answer = await call("/introspect", { token }, auth);
  expect(answer.status, answer.text).toBe(200);
  expect(answer.headers.get("cache-control")).toBe("no-store");
  return answer.body as Json;
};
const refresh = (token: string, auth: Auth) => call("/token", { grant_type: "refresh_token", refresh_token: token }, auth);
const userinfo = async (accessToken: string) => {
  const response = await fetch(`${t.publicUrl}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, body: (await response.json()) as Json };
};

function expectRevoked200(answer: Awaited<ReturnType<typeof call>>) {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.text).toBe("");
}

function expectRefused(answer: Awaited<ReturnType<typeof call>>, status: number, error: string, code: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.body).toMatchObject({ error, code });
  expect(answer.body?.active).toBeUndefined();
  if (status === 401) expect(answer.headers.get("www-authenticate")).toMatch(/^Basic realm="/);
}

async function revokedFamilies(): Promise<number> {
  const rows = await t.ward.database.db.selectFrom("token_families").select("id").where("revoked_at", "is not", null).execute();
  const access = await t.ward.database.db.selectFrom("access_tokens").select("jti").where("revoked_at", "is not", null).execute();
  return rows.length * 1000 + access.length;
}

describe("POST /revoke (RFC 7009)", () => {
  it("revoking a refresh token kills its family: refresh is refused, its access token introspects inactive and /userinfo refuses it", async () => {
    const tokens = await grant("web-app", "openid email offline_access", null);
    expect((await userinfo(tokens.access_token)).status).toBe(200);
    const response = await oauth.revocationRequest(as, { client_id: "web-app" }, oauth.ClientSecretBasic(webSecret), tokens.refresh_token, {
      ...insecure,
      additionalParameters: { token_type_hint: "refresh_token" },
    });
    await oauth.processRevocationResponse(response);
    expect(response.status).toBe(200);
    expectRefused(await refresh(tokens.refresh_token, web()), 400, "invalid_grant", "refresh_token_revoked");
    expect(await introspect(tokens.access_token, web())).toEqual({ active: false });
    expect(await introspect(tokens.refresh_token, web())).toEqual({ active: false });
    const info = await userinfo(tokens.access_token);
    expect(info.status).toBe(401);
    expect(info.body.code).toBe("access_token_revoked");
    const audit = await t.ward.database.db.selectFrom("audit_events").selectAll().where("type", "=", "token.revoked").execute();
    expect(audit.some((row) => row.actor === "web-app" && row.data.includes('"token_type":"refresh_token"'))).toBe(true);
    for (const row of audit) expect(row.data).not.toContain(tokens.refresh_token);
  });

  it("revoking an access token revokes only it: the refresh token still works and the new access token is active", async () => {
    const tokens = await grant("web-app", "openid email offline_access", null);
    expectRevoked200(await revoke(tokens.access_token, web(), { token_type_hint: "access_token" }));
    expect(await introspect(tokens.access_token, web())).toEqual({ active: false });
    expect((await userinfo(tokens.access_token)).body.code).toBe("access_token_revoked");
    expect(await introspect(tokens.refresh_token, web())).toMatchObject({ active: true, token_type: "refresh_token" });
    const refreshed = await refresh(tokens.refresh_token, web());
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(await introspect(refreshed.body?.access_token as string, web())).toMatchObject({ active: true });
  });

  it("a wrong token_type_hint does not stop the revocation (RFC 7009 §2.1: the server extends its search)", async () => {
    const tokens = await grant("web-app");
    expectRevoked200(await revoke(tokens.access_token, web(), { token_type_hint: "refresh_token" }));
    expect(await introspect(tokens.access_token, web())).toEqual({ active: false });
    expectRevoked200(await revoke(tokens.refresh_token, web(), { token_type_hint: "access_token" }));
    expectRefused(await refresh(tokens.refresh_token, web()), 400, "invalid_grant", "refresh_token_revoked");
  });

  it("a public client revokes its own tokens with client_id alone", async () => {
    const tokens = await grant("cli-app");
    expectRevoked200(await revoke(tokens.refresh_token, { none: "cli-app" }));
    expectRefused(await refresh(tokens.refresh_token, { none: "cli-app" }), 400, "invalid_grant", "refresh_token_revoked");
  });

  it("revoking another client's token answers 200 but revokes nothing", async () => {
    const tokens = await grant("web-app");
    const before = await revokedFamilies();
    expectRevoked200(await revoke(tokens.refresh_token, other()));
    expectRevoked200(await revoke(tokens.access_token, other()));
    expectRevoked200(await revoke(tokens.access_token, api()));
    expectRevoked200(await revoke(tokens.refresh_token, { none: "cli-app" }));
    expect(await revokedFamilies()).toBe(before);
    expect(await introspect(tokens.access_token, web())).toMatchObject({ active: true });
    const refreshed = await refresh(tokens.refresh_token, web());
    expect(refreshed.status, refreshed.text).toBe(200);
  });

  it("an unknown, garbage or already revoked token answers 200", async () => {
    const before = await revokedFamilies();
    expectRevoked200(await revoke("not-a-token-this-server-issued", web()));
    expectRevoked200(await revoke("eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.", web()));
    expect(await revokedFamilies()).toBe(before);
    const tokens = await grant("web-app");
    expectRevoked200(await revoke(tokens.refresh_token, web()));
    expectRevoked200(await revoke(tokens.refresh_token, web()));
    expectRevoked200(await revoke(tokens.access_token, web()));
  });

  it("refuses a request without token (400 token_parameter_missing)", async () => {
    const answer = await call("/revoke", {}, web());
    expectRefused(answer, 400, "invalid_request", "token_parameter_missing");
    expectRefused(await call("/revoke", { token: "" }, web()), 400, "invalid_request", "token_parameter_missing");
  });

  it("refuses an unauthenticated request with 401 invalid_client and revokes nothing", async () => {
    const tokens = await grant("web-app");
    const before = await revokedFamilies();
    expectRefused(await revoke(tokens.refresh_token, { basic: ["web-app", "wrong"] }), 401, "invalid_client", "client_secret_invalid");
    expectRefused(await revoke(tokens.refresh_token, { none: "web-app" }), 401, "invalid_client", "client_authentication_missing");
    expectRefused(await revoke(tokens.refresh_token, { none: "nobody-app" }), 401, "invalid_client", "client_unknown");
    expect(await revokedFamilies()).toBe(before);
    expect((await refresh(tokens.refresh_token, web())).status).toBe(200);
  });

  it("refuses a request with no client credentials at all with 401 invalid_client (RFC 6749 §5.2: no client authentication included)", async () => {
    const tokens = await grant("web-app");
    const answer = await revoke(tokens.refresh_token, {});
    expect(answer.status, answer.text).toBe(401);
    expect(answer.body?.error).toBe("invalid_client");
    expect(answer.body?.code).toBe("client_not_identified");
    expect((await refresh(tokens.refresh_token, web())).status).toBe(200);
  });
});

describe("POST /introspect (RFC 7662)", () => {
  it("answers the token's own confidential client with the token's claims", async () => {
    const tokens = await grant("web-app");
    const access = decodeJwt(tokens.access_token);
    const response = await oauth.introspectionRequest(
      as,
      { client_id: "web-app" },
      oauth.ClientSecretBasic(webSecret),
      tokens.access_token,
      insecure,
    );
    const body = (await oauth.processIntrospectionResponse(as, { client_id: "web-app" }, response)) as unknown as Json;
    expect(body).toMatchObject({
      active: true,
      token_type: "Bearer",
      scope: "openid offline_access notes:read",
      client_id: "web-app",
      sub: access.sub,
      aud: RESOURCE,
      iss: t.publicUrl,
      exp: access.exp,
      iat: access.iat,
      jti: access.jti,
    });
    expect(body.sub).toMatch(/^usr_/);
  });

  it("answers a client listed in the resource's introspection_clients (api-server) for another client's token", async () => {
    const tokens = await grant("web-app");
    expect(await introspect(tokens.access_token, api())).toMatchObject({ active: true, client_id: "web-app", aud: RESOURCE });
    const cli = await grant("cli-app");
    expect(await introspect(cli.access_token, api())).toMatchObject({ active: true, client_id: "cli-app" });
  });

  it("tells a listed client nothing about a token for another audience", async () => {
    const tokens = await grant("web-app", "openid offline_access", null);
    expect(decodeJwt(tokens.access_token).aud).toBe(`${t.publicUrl}/userinfo`);
    expect(await introspect(tokens.access_token, api())).toEqual({ active: false });
    expect(await introspect(tokens.access_token, web())).toMatchObject({ active: true });
  });

  it("answers {active:false} to another confidential client", async () => {
    const tokens = await grant("web-app");
    expect(await introspect(tokens.access_token, other())).toEqual({ active: false });
    expect(await introspect(tokens.refresh_token, other())).toEqual({ active: false });
  });

  it("answers {active:false} to a public client, even for its own token", async () => {
    const tokens = await grant("cli-app");
    expect(await introspect(tokens.access_token, { none: "cli-app" })).toEqual({ active: false });
    expect(await introspect(tokens.refresh_token, { none: "cli-app" })).toEqual({ active: false });
    const webTokens = await grant("web-app");
    expect(await introspect(webTokens.access_token, { none: "cli-app" })).toEqual({ active: false });
  });

  it("describes a refresh token with token_type refresh_token, to its own client only", async () => {
    const tokens = await grant("web-app");
    const access = decodeJwt(tokens.access_token);
    const body = await introspect(tokens.refresh_token, web());
    expect(body).toMatchObject({
      active: true,
      token_type: "refresh_token",
      client_id: "web-app",
      sub: access.sub,
      scope: "openid offline_access notes:read",
      aud: RESOURCE,
      iss: t.publicUrl,
    });
    expect(body.exp).toBeGreaterThan(Math.floor(Date.now() / 1000) + 29 * 86400);
    expect(await introspect(tokens.refresh_token, api())).toEqual({ active: false });
    const rotated = await refresh(tokens.refresh_token, web());
    expect(rotated.status).toBe(200);
    expect(await introspect(tokens.refresh_token, web())).toEqual({ active: false });
  });

  it("answers {active:false} for an expired access token and an expired refresh token family", async () => {
    const tokens = await grant("web-app");
    const exp = decodeJwt(tokens.access_token).exp as number;
    skewMs = (exp + 60) * 1000 - Date.now();
    try {
      expect(await introspect(tokens.access_token, web())).toEqual({ active: false });
      expect(await introspect(tokens.access_token, api())).toEqual({ active: false });
    } finally {
      skewMs = 0;
    }
    expect(await introspect(tokens.access_token, web())).toMatchObject({ active: true });
    const db = t.ward.database.db;
    const row = await db
      .selectFrom("refresh_tokens")
      .select("family_id")
      .where("token_hash", "=", hashSecret(tokens.refresh_token))
      .executeTakeFirstOrThrow();
    await db.updateTable("token_families").set({ expires_at: 1 }).where("id", "=", row.family_id).execute();
    expect(await introspect(tokens.refresh_token, web())).toEqual({ active: false });
  });

  it("answers {active:false} for a revoked and a garbage token", async () => {
    const tokens = await grant("cli-app");
    expectRevoked200(await revoke(tokens.refresh_token, { none: "cli-app" }));
    expect(await introspect(tokens.access_token, api())).toEqual({ active: false });
    for (const garbage of ["garbage", "a.b.c", tokens.id_token as string, `${tokens.access_token}x`]) {
      expect(await introspect(garbage, api()), garbage.slice(0, 20)).toEqual({ active: false });
    }
  });

  it("reads no refresh token for a JWT: a row stored under a dotted token's hash is never found", async () => {
    // Refresh tokens are base64url (no dot), so a dotted token skips the refresh-token read (one
    // query fewer per access token). Seen from outside: a row planted under the hash of a dotted
    // token, live and owned by the caller, is not answered; the same row under a dotless token is.
    const tokens = await grant("web-app");
    const db = t.ward.database.db;
    const row = await db
      .selectFrom("refresh_tokens")
      .selectAll()
      .where("token_hash", "=", hashSecret(tokens.refresh_token))
      .executeTakeFirstOrThrow();
    for (const planted of ["planted.refresh.token", "plantedrefreshtoken"])
      await db
        .insertInto("refresh_tokens")
        .values({ ...row, token_hash: hashSecret(planted) })
        .execute();
    expect(await introspect("planted.refresh.token", web())).toEqual({ active: false });
    expect(await introspect("plantedrefreshtoken", web())).toMatchObject({ active: true, token_type: "refresh_token" });
    expectRevoked200(await revoke("planted.refresh.token", web()));
    expect(await introspect(tokens.refresh_token, web())).toMatchObject({ active: true });
  });

  it("refuses unauthenticated callers (401) and a missing token (400)", async () => {
    const tokens = await grant("web-app");
    expectRefused(
      await call("/introspect", { token: tokens.access_token }, { basic: ["web-app", "wrong"] }),
      401,
      "invalid_client",
      "client_secret_invalid",
    );
    expectRefused(
      await call("/introspect", { token: tokens.access_token }, { none: "api-server" }),
      401,
      "invalid_client",
      "client_authentication_missing",
    );
    expectRefused(await call("/introspect", {}, web()), 400, "invalid_request", "token_parameter_missing");
  });
});
