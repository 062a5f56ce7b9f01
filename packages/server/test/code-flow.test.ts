import * as client from "openid-client";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { authorizeUrl, NATIVE_REDIRECT, RESOURCE, seedFlowFixtures, signInAndConsent, USER, verifierAndChallenge } from "./support/flow.js";
import { counts } from "./support/malformed.js";

const t = useTestWard();
let config: client.Configuration;

const errorCode = (uri: string | null | undefined) => uri?.split("/errors/")[1];

/** Runs a code + PKCE authorization for cli-app through the hosted pages; returns the callback URL and verifier. */
async function authorize(
  browser: TestBrowser,
  scope = "openid email offline_access notes:read",
  resource: string | null = RESOURCE,
  user: typeof USER = USER,
) {
  const { verifier, challenge } = verifierAndChallenge();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: NATIVE_REDIRECT.replace("127.0.0.1", "127.0.0.1:53682"),
    scope,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
    ...(resource ? { resource } : {}),
  });
  const page = await signInAndConsent(browser, url.toString(), user);
  return { callback: new URL(page.left as string), verifier, state };
}

async function redeem(flow: Awaited<ReturnType<typeof authorize>>, resource = RESOURCE) {
  return client.authorizationCodeGrant(config, flow.callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state }, { resource });
}

/** The catalog code of an openid-client error (Ward puts it in the JSON body next to `error`). */
async function failure(promise: Promise<unknown>): Promise<{ error: string; code: string; description: string }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as client.ResponseBodyError | undefined;
  expect(error, "the request should have failed").toBeInstanceOf(client.ResponseBodyError);
  const body = (error as client.ResponseBodyError).cause as Record<string, string>;
  return { error: body.error as string, code: body.code as string, description: body.error_description as string };
}

beforeAll(async () => {
  await seedFlowFixtures(t);
  config = await client.discovery(new URL(t.publicUrl), "cli-app", undefined, client.None(), { execute: [client.allowInsecureRequests] });
});

describe("authorization code + PKCE with openid-client (OAuth 2.1 §4.1, RFC 7636, RFC 9207)", () => {
  it("completes the flow, verifies the ID token, and refreshes twice with rotation", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const flow = await authorize(browser);
    expect(flow.callback.searchParams.get("iss")).toBe(t.publicUrl);
    expect(flow.callback.searchParams.get("state")).toBe(flow.state);
    const tokens = await redeem(flow);
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.scope).toBe("openid email offline_access notes:read");
    const claims = tokens.claims();
    expect(claims?.sub).toMatch(/^usr_/);
    expect(claims?.email).toBe(USER.email);
    expect(claims?.amr).toEqual(["pwd"]);
    const access = JSON.parse(Buffer.from(tokens.access_token.split(".")[1] as string, "base64url").toString());
    expect(access).toMatchObject({
      iss: t.publicUrl,
      aud: RESOURCE,
      client_id: "cli-app",
      scope: "openid email offline_access notes:read",
    });
    expect(JSON.parse(Buffer.from(tokens.access_token.split(".")[0] as string, "base64url").toString()).typ).toBe("at+jwt");

    const first = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(first.refresh_token).not.toBe(tokens.refresh_token);
    const second = await client.refreshTokenGrant(config, first.refresh_token as string, { scope: "notes:read" });
    expect(second.scope).toBe("notes:read");
    expect(second.refresh_token).not.toBe(first.refresh_token);

    // RFC 9068 §4: a token for the resource is for the resource only; /userinfo refuses it (identity is in the ID token).
    const refused = await fetch(`${t.publicUrl}/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe("token_audience_mismatch");
  });

  it("serves /userinfo to a token of an OpenID-only authorization (its audience is the userinfo endpoint)", async () => {
    const flow = await authorize(new TestBrowser(t.publicUrl), "openid email", null);
    const tokens = await client.authorizationCodeGrant(config, flow.callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    const sub = tokens.claims()?.sub as string;
    expect(await client.fetchUserInfo(config, tokens.access_token, sub)).toEqual({ sub, email: USER.email });
  });

  it("refuses a second use of a code and revokes what the first use issued (RFC 9700 §4.4.1)", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const flow = await authorize(browser);
    const tokens = await redeem(flow);
    const again = await failure(redeem(flow));
    expect(again).toMatchObject({ error: "invalid_grant", code: "authorization_code_reused" });
    expect(again.description).toContain("revoked");
    const refresh = await failure(client.refreshTokenGrant(config, tokens.refresh_token as string));
    expect(refresh.code).toBe("refresh_token_revoked");
    const userinfo = await fetch(`${t.publicUrl}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    expect(((await userinfo.json()) as { code: string }).code).toBe("access_token_revoked");
    expect(userinfo.headers.get("www-authenticate")).toMatch(
      /^Bearer realm=".*", error="invalid_token", error_description="The access token was revoked/,
    );
  });

  it("revokes the whole family when a spent refresh token is used again (RFC 9700 §4.14.2)", async () => {
    const tokens = await redeem(await authorize(new TestBrowser(t.publicUrl)));
    const rotated = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    const reuse = await failure(client.refreshTokenGrant(config, tokens.refresh_token as string));
    expect(reuse).toMatchObject({ error: "invalid_grant", code: "refresh_token_reused" });
    expect(reuse.description).toMatch(/whole family \(2 tokens\) is now revoked/);
    const newest = await failure(client.refreshTokenGrant(config, rotated.refresh_token as string));
    expect(newest.code).toBe("refresh_token_revoked");
    const audit = await t.ward.database.db
      .selectFrom("audit_events")
      .select(["type", "data"])
      .where("type", "=", "refresh_token.reuse_detected")
      .execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(audit[0]?.data).not.toContain(tokens.refresh_token as string);
  });

  it("refuses a wrong code_verifier with pkce_verifier_mismatch and leaves the code unused", async () => {
    const flow = await authorize(new TestBrowser(t.publicUrl));
    const wrong = await failure(
      client.authorizationCodeGrant(
        config,
        flow.callback,
        { pkceCodeVerifier: verifierAndChallenge().verifier, expectedState: flow.state },
        { resource: RESOURCE },
      ),
    );
    expect(wrong).toMatchObject({ error: "invalid_grant", code: "pkce_verifier_mismatch" });
    expect((await redeem(flow)).access_token).toBeTruthy();
  });

  it("refuses a missing code_challenge and the plain method, each with its own code, redirected with iss", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const base = { client_id: "cli-app", redirect_uri: NATIVE_REDIRECT, response_type: "code", scope: "openid", state: "s1" };
    const missing = await browser.navigate(authorizeUrl(t, base));
    expect(missing.redirectParams.get("error")).toBe("invalid_request");
    expect(errorCode(missing.redirectParams.get("error_uri"))).toBe("pkce_challenge_missing");
    expect(missing.redirectParams.get("iss")).toBe(t.publicUrl);
    expect(missing.redirectParams.get("state")).toBe("s1");
    const plain = await browser.navigate(authorizeUrl(t, { ...base, code_challenge: "a".repeat(43), code_challenge_method: "plain" }));
    expect(errorCode(plain.redirectParams.get("error_uri"))).toBe("pkce_method_plain_refused");
  });

  it("refuses a redirect_uri with a trailing slash on a page that shows the difference, never redirecting", async () => {
    const { challenge } = verifierAndChallenge();
    const page = await new TestBrowser(t.publicUrl).navigate(
      authorizeUrl(t, {
        client_id: "cli-app",
        redirect_uri: `${NATIVE_REDIRECT}/`,
        response_type: "code",
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
    );
    expect(page.left).toBeUndefined();
    expect(page.status).toBe(400);
    expect(page.html).toContain("redirect_uri_mismatch");
    expect(page.html).toContain(`Closest registered: ${NATIVE_REDIRECT}`);
    expect(page.html).toContain("trailing slash");
  });
});

describe("a grant outlives nothing it depends on", () => {
  it("refuses to refresh once the grant's resource is deleted (resource_unknown), instead of re-targeting the token", async () => {
    await t.admin("/admin/v1/resources", {
      body: { uri: "https://short-lived.example.test/api", scopes: [{ name: "tmp:read", description: "Read temporary things" }] },
    });
    const tokens = await redeem(
      await authorize(new TestBrowser(t.publicUrl), "offline_access tmp:read", "https://short-lived.example.test/api"),
      "https://short-lived.example.test/api",
    );
    expect(
      (await t.admin(`/admin/v1/resources/${encodeURIComponent("https://short-lived.example.test/api")}`, { method: "DELETE" })).status,
    ).toBe(204);
    const refused = await failure(client.refreshTokenGrant(config, tokens.refresh_token as string));
    expect(refused).toMatchObject({ error: "invalid_target", code: "resource_unknown" });
    expect(refused.description).toContain("deleted after this grant was made");
  });
});

describe("a user disabled or deleted after approving gets no more tokens", () => {
  /** A user of its own, a redeemed grant (its refresh token) and a second code not redeemed yet. */
  async function approvedTwice(email: string) {
    const person = { email, password: "a long enough password", name: "Grace" };
    const created = await t.admin("/admin/v1/users", { body: person });
    const { id } = (await created.json()) as { id: string };
    const tokens = await redeem(await authorize(new TestBrowser(t.publicUrl), undefined, undefined, person));
    const pending = await authorize(new TestBrowser(t.publicUrl), undefined, undefined, person);
    return { id, refreshToken: tokens.refresh_token as string, pending };
  }
  /** The refresh (refresh_token_revoked, naming why) and the code (authorization_code_invalid) are refused; no row is written. */
  async function expectBothRefused({ refreshToken, pending }: Awaited<ReturnType<typeof approvedTwice>>) {
    const before = await counts(t);
    const refresh = await failure(client.refreshTokenGrant(config, refreshToken));
    expect(refresh).toMatchObject({ error: "invalid_grant", code: "refresh_token_revoked" });
    expect(refresh.description).toContain("the user was disabled or deleted");
    expect(await failure(redeem(pending))).toMatchObject({ error: "invalid_grant", code: "authorization_code_invalid" });
    expect(await counts(t)).toEqual(before);
  }

  it("refuses refresh (refresh_token_revoked) and the code (authorization_code_invalid) while disabled, spending neither", async () => {
    const grant = await approvedTwice("grace@example.com");
    expect((await t.admin(`/admin/v1/users/${grant.id}`, { method: "PATCH", body: { disabled: true } })).status).toBe(200);
    await expectBothRefused(grant);
    // Refused, not consumed: enabled again, the same refresh token and code still work.
    await t.admin(`/admin/v1/users/${grant.id}`, { method: "PATCH", body: { disabled: false } });
    expect((await client.refreshTokenGrant(config, grant.refreshToken)).access_token).toBeTruthy();
    expect((await redeem(grant.pending)).access_token).toBeTruthy();
  });

  it("refuses both the same way once the user is deleted", async () => {
    const grant = await approvedTwice("grace.deleted@example.com");
    expect((await t.admin(`/admin/v1/users/${grant.id}`, { method: "DELETE" })).status).toBe(204);
    await expectBothRefused(grant);
  });
});

describe("browser-based clients (CORS on /token, /revoke, /userinfo, /jwks.json)", () => {
  it("answers the preflight of a cross-origin token request and lets the page read the answer", async () => {
    const preflight = await fetch(`${t.publicUrl}/token`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:6274",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, dpop",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("dpop");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    const answer = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      headers: { origin: "http://localhost:6274" },
      body: new URLSearchParams({}),
    });
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(((await answer.json()) as { code: string }).code).toBe("grant_type_missing");
  });

  it("gives hosted pages no CORS headers (they are for the browser's own navigation only)", async () => {
    const page = await fetch(`${t.publicUrl}/authorize`, { headers: { origin: "http://localhost:6274" } });
    expect(page.headers.get("access-control-allow-origin")).toBeNull();
  });
});
