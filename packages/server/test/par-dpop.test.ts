import { decodeJwt } from "jose";
import * as client from "openid-client";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { dpopKey, fromKeyPair, proof, rawRequest, type TestDpopKey } from "./support/dpop.js";
import { NATIVE_REDIRECT, RESOURCE, seedFlowFixtures, signInAndConsent, verifierAndChallenge, WEB_REDIRECT } from "./support/flow.js";

/** RFC 9449 §10.1: a DPoP proof on the pushed authorization request binds the code to its key, like dpop_jkt. */
const t = useTestWard();
let webSecret: string;

const parUrl = () => `${t.publicUrl}/par`;
const tokenUrl = () => `${t.publicUrl}/token`;

const pushedRows = async () =>
  Number(
    (
      await t.ward.database.db
        .selectFrom("pushed_requests")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** cli-app (public) pushes with client_id alone; `headers` may carry a DPoP proof. */
function push(challenge: string, headers: Record<string, string> = {}, extra: Record<string, string> = {}) {
  return rawRequest(parUrl(), {
    headers,
    form: {
      client_id: "cli-app",
      response_type: "code",
      redirect_uri: NATIVE_REDIRECT,
      scope: "openid notes:read",
      resource: RESOURCE,
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...extra,
    },
  });
}

/** Pushes with a proof by `key`, signs in through the request_uri, and returns the code and verifier. */
async function codeThroughProvenPush(key: TestDpopKey) {
  const { verifier, challenge } = verifierAndChallenge();
  const pushed = await push(challenge, { dpop: await proof(key, { htu: parUrl() }) });
  expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
  const url = `${t.publicUrl}/authorize?${new URLSearchParams({ client_id: "cli-app", request_uri: pushed.body.request_uri })}`;
  const page = await signInAndConsent(new TestBrowser(t.publicUrl), url);
  return { code: page.redirectParams.get("code") as string, verifier };
}

function redeem(grant: { code: string; verifier: string }, key: TestDpopKey) {
  return proof(key, { htu: tokenUrl() }).then((dpop) =>
    rawRequest(tokenUrl(), {
      headers: { dpop },
      form: {
        grant_type: "authorization_code",
        client_id: "cli-app",
        code: grant.code,
        redirect_uri: NATIVE_REDIRECT,
        code_verifier: grant.verifier,
      },
    }),
  );
}

beforeAll(async () => {
  ({ webSecret } = await seedFlowFixtures(t));
});

describe("RFC 9449 §10.1: DPoP proof at the PAR endpoint", () => {
  it("openid-client pushes with DPoP and redeems the code with the same key: the token is bound to it", async () => {
    const config = await client.discovery(new URL(t.publicUrl), "web-app", undefined, client.ClientSecretBasic(webSecret), {
      execute: [client.allowInsecureRequests],
    });
    const pair = await client.randomDPoPKeyPair();
    const DPoP = client.getDPoPHandle(config, pair);
    const verifier = client.randomPKCECodeVerifier();
    const url = await client.buildAuthorizationUrlWithPAR(
      config,
      {
        redirect_uri: WEB_REDIRECT,
        scope: "openid notes:read",
        resource: RESOURCE,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
      },
      { DPoP },
    );
    const page = await signInAndConsent(new TestBrowser(t.publicUrl), url.toString());
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(page.left as string),
      { pkceCodeVerifier: verifier },
      { resource: RESOURCE },
      { DPoP },
    );
    expect(tokens.token_type.toLowerCase()).toBe("dpop");
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: (await fromKeyPair(pair)).jkt });
  });

  it("a code pushed with a proof by key A is refused with dpop_jkt_mismatch when redeemed with key B, and nothing is issued", async () => {
    const [a, b] = [await dpopKey(), await dpopKey()];
    const grant = await codeThroughProvenPush(a);
    const wrong = await redeem(grant, b);
    expect(wrong.status, JSON.stringify(wrong.body)).toBe(400);
    expect(wrong.body).toMatchObject({ code: "dpop_jkt_mismatch", error: "invalid_dpop_proof" });
    expect(wrong.body.error_description).toContain(a.jkt);
    // The refusal left the code unused: its holder of key A still redeems it.
    const right = await redeem(grant, a);
    expect(right.status, JSON.stringify(right.body)).toBe(200);
    expect(decodeJwt(right.body.access_token).cnf).toEqual({ jkt: a.jkt });
  });

  it("dpop_jkt naming another key than the proof's is refused with dpop_jkt_proof_mismatch, and nothing is stored", async () => {
    const [a, b] = [await dpopKey(), await dpopKey()];
    const before = await pushedRows();
    const response = await push(verifierAndChallenge().challenge, { dpop: await proof(a, { htu: parUrl() }) }, { dpop_jkt: b.jkt });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body).toMatchObject({ code: "dpop_jkt_proof_mismatch", error: "invalid_dpop_proof" });
    expect(response.body.error_description).toContain(a.jkt);
    expect(response.body.error_description).toContain(b.jkt);
    expect(await pushedRows()).toBe(before);
  });

  it("a proof made for the token endpoint is refused at /par with dpop_htu_mismatch, and nothing is stored", async () => {
    const before = await pushedRows();
    const response = await push(verifierAndChallenge().challenge, { dpop: await proof(await dpopKey(), { htu: tokenUrl() }) });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.code).toBe("dpop_htu_mismatch");
    expect(await pushedRows()).toBe(before);
  });
});
