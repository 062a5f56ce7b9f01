import { describe, expect, it } from "vitest";
import { type Json, useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { authorizeUrl, seedFlowFixtures, signInAndConsent, verifierAndChallenge } from "./support/flow.js";

/**
 * RFC 7592 §2.3: once a client is deleted, the server SHOULD invalidate every grant and token it
 * holds. Ward does so for both deletions (RFC 7592 DELETE and the admin API), and forgets the
 * consents given to it, so a client later created under the same client_id asks again.
 */
const REDIRECT = "http://127.0.0.1:41234/callback";
const t = useTestWard({ registration: { policy: "open" } });

const METADATA = { redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"] };

async function register(method = "none"): Promise<{ clientId: string; registrationToken: string; secret?: string }> {
  const response = await fetch(`${t.publicUrl}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...METADATA, token_endpoint_auth_method: method }),
  });
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).toBe(201);
  return {
    clientId: body.client_id as string,
    registrationToken: body.registration_access_token as string,
    secret: body.client_secret as string | undefined,
  };
}

const basic = (clientId: string, secret: string | undefined): Record<string, string> =>
  secret ? { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` } : {};

function refresh(clientId: string, refreshToken: string, secret?: string): Promise<Response> {
  return fetch(`${t.publicUrl}/token`, {
    method: "POST",
    headers: basic(clientId, secret),
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken }),
  });
}

/** Signs in, consents and redeems a code for `clientId`: an access token (for /userinfo) and a refresh token. */
async function tokensFor(clientId: string, secret?: string): Promise<{ access_token: string; refresh_token: string }> {
  const { verifier, challenge } = verifierAndChallenge();
  const page = await signInAndConsent(
    new TestBrowser(t.publicUrl),
    authorizeUrl(t, {
      client_id: clientId,
      redirect_uri: REDIRECT,
      response_type: "code",
      scope: "openid offline_access",
      code_challenge: challenge,
      code_challenge_method: "S256",
    }),
  );
  const response = await fetch(`${t.publicUrl}/token`, {
    method: "POST",
    headers: basic(clientId, secret),
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: clientId,
      code: page.redirectParams.get("code") as string,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }),
  });
  const body = (await response.json()) as { access_token: string; refresh_token: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(body.refresh_token).toBeTruthy();
  return body;
}

async function liveGrants(clientId: string) {
  const db = t.ward.database.db;
  const count = async (query: { executeTakeFirstOrThrow(): Promise<{ n: unknown }> }) => Number((await query.executeTakeFirstOrThrow()).n);
  return {
    families: await count(
      db
        .selectFrom("token_families")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("client_id", "=", clientId)
        .where("revoked_at", "is", null),
    ),
    accessTokens: await count(
      db
        .selectFrom("access_tokens")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("client_id", "=", clientId)
        .where("revoked_at", "is", null),
    ),
    consents: await count(
      db
        .selectFrom("consents")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("client_id", "=", clientId),
    ),
  };
}

async function expectUserinfoRevoked(accessToken: string): Promise<void> {
  const response = await fetch(`${t.publicUrl}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).toBe(401);
  expect(body.code).toBe("access_token_revoked");
}

describe("RFC 7592 §2.3: deleting a client invalidates its grants and tokens", () => {
  it("DELETE /register/:client_id revokes its token families and access tokens, and forgets its consents", async () => {
    await seedFlowFixtures(t);
    const { clientId, registrationToken } = await register();
    const tokens = await tokensFor(clientId);
    expect(await liveGrants(clientId)).toEqual({ families: 1, accessTokens: 1, consents: 1 });

    const deleted = await fetch(`${t.publicUrl}/register/${clientId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${registrationToken}` },
    });
    expect(deleted.status).toBe(204);
    expect(await liveGrants(clientId)).toEqual({ families: 0, accessTokens: 0, consents: 0 });
    await expectUserinfoRevoked(tokens.access_token);
    const audit = (await (await t.admin("/admin/v1/audit-events?type=client.registration_deleted")).json()) as { audit_events: Json[] };
    expect(audit.audit_events.find((event) => event.subject === clientId)?.data).toMatchObject({ families_revoked: 1 });
  });

  it("the admin API's client delete does the same", async () => {
    const { clientId } = await register();
    const tokens = await tokensFor(clientId);
    expect(await liveGrants(clientId)).toEqual({ families: 1, accessTokens: 1, consents: 1 });
    expect((await t.admin(`/admin/v1/clients/${clientId}`, { method: "DELETE" })).status).toBe(204);
    expect(await liveGrants(clientId)).toEqual({ families: 0, accessTokens: 0, consents: 0 });
    await expectUserinfoRevoked(tokens.access_token);
  });

  it("an unknown client_id is still client_not_found, and other clients' grants are untouched", async () => {
    const { clientId } = await register();
    await tokensFor(clientId);
    const before = await liveGrants(clientId);
    const response = await t.admin("/admin/v1/clients/no-such-client", { method: "DELETE" });
    expect(response.status).toBe(404);
    expect(((await response.json()) as Json).code).toBe("client_not_found");
    expect(await liveGrants(clientId)).toEqual(before);
  });
});

describe("a confidential client turning public (token_endpoint_auth_method none)", () => {
  it("RFC 7592 PUT revokes the refresh tokens it got with its secret: they would otherwise work with client_id alone", async () => {
    const { clientId, registrationToken, secret } = await register("client_secret_basic");
    const tokens = await tokensFor(clientId, secret);
    const updated = await fetch(`${t.publicUrl}/register/${clientId}`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${registrationToken}` },
      body: JSON.stringify({ ...METADATA, client_id: clientId, token_endpoint_auth_method: "none" }),
    });
    expect(updated.status, await updated.clone().text()).toBe(200);
    const response = await refresh(clientId, tokens.refresh_token);
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.code).toBe("refresh_token_revoked");
    expect((await liveGrants(clientId)).families).toBe(0);
    await expectUserinfoRevoked(tokens.access_token);
  });

  it("the admin API's update does the same; an update that keeps the method keeps the tokens", async () => {
    const { clientId, secret } = await register("client_secret_basic");
    const kept = await tokensFor(clientId, secret);
    const renamed = await t.admin(`/admin/v1/clients/${clientId}`, { method: "PATCH", body: { client_name: "Renamed" } });
    expect(renamed.status).toBe(200);
    const rotated = (await (await refresh(clientId, kept.refresh_token, secret)).json()) as Json;
    expect(rotated.refresh_token, JSON.stringify(rotated)).toBeTruthy();
    const publicNow = await t.admin(`/admin/v1/clients/${clientId}`, { method: "PATCH", body: { token_endpoint_auth_method: "none" } });
    expect(publicNow.status, await publicNow.clone().text()).toBe(200);
    const response = await refresh(clientId, rotated.refresh_token as string);
    expect(((await response.json()) as Json).code).toBe("refresh_token_revoked");
  });
});
