import { calculateJwkThumbprint, decodeJwt, exportJWK } from "jose";
import * as client from "openid-client";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { fromKeyPair, issuedCount, proof, rawRequest, type TestDpopKey } from "./support/dpop.js";
import { NATIVE_REDIRECT, seedFlowFixtures, signInAndConsent, USER, verifierAndChallenge } from "./support/flow.js";

const t = useTestWard({ dpop: { require_nonce: true } });
let config: client.Configuration;
/** Every response openid-client received: path, status, OAuth error and DPoP-Nonce. */
const seen: { path: string; status: number; error?: string; nonce: string | null }[] = [];
let bound: { accessToken: string; refreshToken: string; key: TestDpopKey };

beforeAll(async () => {
  await seedFlowFixtures(t);
  config = await client.discovery(new URL(t.publicUrl), "cli-app", undefined, client.None(), { execute: [client.allowInsecureRequests] });
  config[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options as RequestInit);
    const body = (await response
      .clone()
      .json()
      .catch(() => ({}))) as { error?: string };
    seen.push({ path: new URL(url).pathname, status: response.status, error: body.error, nonce: response.headers.get("dpop-nonce") });
    return response;
  };
});

describe("RFC 9449 with openid-client: a DPoP-bound authorization code flow with server nonces", () => {
  it("advertises dpop_signing_alg_values_supported: asymmetric algorithms only", async () => {
    const metadata = (await (await fetch(`${t.publicUrl}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(metadata.dpop_signing_alg_values_supported).toEqual(["ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"]);
  });

  it("retries the token request with the DPoP-Nonce, binds tokens to the key (cnf.jkt), keeps the binding on refresh, and serves userinfo with DPoP", async () => {
    const keyPair = await client.randomDPoPKeyPair();
    const DPoP = client.getDPoPHandle(config, keyPair);
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    const { verifier, challenge } = verifierAndChallenge();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: NATIVE_REDIRECT.replace("127.0.0.1", "127.0.0.1:53682"),
      scope: "openid email offline_access",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state,
      dpop_jkt: jkt,
    });
    const page = await signInAndConsent(new TestBrowser(t.publicUrl), url.toString());
    seen.length = 0;
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(page.left as string),
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      { DPoP },
    );
    const tokenCalls = seen.filter((call) => call.path === "/token");
    expect(tokenCalls.map((call) => [call.status, call.error ?? null])).toEqual([
      [400, "use_dpop_nonce"],
      [200, null],
    ]);
    expect(tokenCalls[0]?.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(tokenCalls[1]?.nonce, "successful responses carry the current nonce too").toBe(tokenCalls[0]?.nonce);
    expect(tokens.token_type).toBe("dpop");
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string, undefined, { DPoP });
    expect(refreshed.token_type).toBe("dpop");
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });

    const userinfo = await client.fetchUserInfo(config, refreshed.access_token, tokens.claims()?.sub as string, { DPoP });
    expect(userinfo.email).toBe(USER.email);
    bound = { accessToken: refreshed.access_token, refreshToken: refreshed.refresh_token as string, key: await fromKeyPair(keyPair) };
  });
});

describe("RFC 9449 §8 and §9: dpop.require_nonce", () => {
  it("answers a token request whose proof has no nonce, or a wrong one, with 400 use_dpop_nonce and a DPoP-Nonce; nothing is issued", async () => {
    const before = await issuedCount(t);
    const form = { grant_type: "refresh_token", client_id: "cli-app", refresh_token: bound.refreshToken };
    for (const nonce of [undefined, "not-a-nonce-this-server-issued"]) {
      const response = await rawRequest(`${t.publicUrl}/token`, {
        form,
        headers: { dpop: await proof(bound.key, { htu: `${t.publicUrl}/token`, nonce }) },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe("use_dpop_nonce");
      expect(response.body.code).toBe("dpop_nonce_required");
      expect(response.headers["dpop-nonce"]).toMatch(/^[A-Za-z0-9_-]{32}$/);
    }
    expect(await issuedCount(t)).toBe(before);
    const nonce = (await rawRequest(`${t.publicUrl}/token`, { form })).headers["dpop-nonce"] as string;
    const accepted = await rawRequest(`${t.publicUrl}/token`, {
      form,
      headers: { dpop: await proof(bound.key, { htu: `${t.publicUrl}/token`, nonce }) },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.token_type).toBe("DPoP");
  });

  it('answers userinfo without the nonce with 401 and WWW-Authenticate: DPoP error="use_dpop_nonce"; with it, the claims', async () => {
    const url = `${t.publicUrl}/userinfo`;
    const call = async (nonce?: string) =>
      rawRequest(url, {
        method: "GET",
        headers: {
          authorization: `DPoP ${bound.accessToken}`,
          dpop: await proof(bound.key, { htm: "GET", htu: url, accessToken: bound.accessToken, nonce }),
        },
      });
    const refused = await call();
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("dpop_nonce_required");
    expect(refused.headers["www-authenticate"]).toMatch(/^DPoP /);
    expect(refused.headers["www-authenticate"]).toContain('error="use_dpop_nonce"');
    const nonce = refused.headers["dpop-nonce"] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const served = await call(nonce);
    expect(served.status, JSON.stringify(served.body)).toBe(200);
    expect(served.body.email).toBe(USER.email);
  });
});
