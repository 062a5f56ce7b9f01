import { randomBytes } from "node:crypto";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "./support/browser.js";
import { type FreshDatabase, postgresOrSkip, searchPathUrl, testDatabases } from "./support/databases.js";
import { dpopKey, issuedCount, proof, rawRequest, type TestDpopKey } from "./support/dpop.js";
import { cliAppCode, NATIVE_REDIRECT, seedFlowFixtures } from "./support/flow.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const engines = await testDatabases();

/**
 * Two instances behind one issuer URL on one PostgreSQL database, as behind a load balancer: a proof
 * used at one is refused at the other (used_jtis), nonces of one are accepted by the other (derived
 * from the shared master key), and a public client's refresh token stays bound to its key.
 */
describe("DPoP across two stateless instances on PostgreSQL", () => {
  const postgres = postgresOrSkip(engines);
  if (!postgres) return;
  let fresh: FreshDatabase;
  let a: TestWard;
  let b: TestWard;
  const tokenUrl = () => `${a.publicUrl}/token`;

  beforeAll(async () => {
    fresh = await postgres.create();
    const database = { url: searchPathUrl(fresh) };
    const shared = { database, dpop: { require_nonce: true }, secrets: { master_key: randomBytes(32).toString("hex") } };
    a = await startTestWard(shared);
    b = await startTestWard({ ...shared, server: { issuer: a.publicUrl } });
    await seedFlowFixtures(a);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await fresh?.drop();
  });

  /** Any /token answer carries the current nonce while dpop.require_nonce is on. */
  const nonceFrom = async (instance: TestWard) =>
    (await rawRequest(`${instance.publicUrl}/token`, { form: {} })).headers["dpop-nonce"] as string;

  /** POST /token on one instance; the proof's htu is always the shared issuer's token URL. */
  const post = (instance: TestWard, form: Record<string, string>, dpop?: string) =>
    rawRequest(`${instance.publicUrl}/token`, { form, headers: dpop ? { dpop } : {} });

  async function boundCode(key: TestDpopKey) {
    const { code, verifier } = await cliAppCode(a, new TestBrowser(a.publicUrl), { scope: "openid offline_access", dpop_jkt: key.jkt });
    return { grant_type: "authorization_code", client_id: "cli-app", code, redirect_uri: NATIVE_REDIRECT, code_verifier: verifier };
  }

  it("binds at one instance, refuses the replayed proof at the other, and keeps the refresh binding there", async () => {
    const [key, other] = [await dpopKey(), await dpopKey()];
    const exchange = await boundCode(key);
    const used = await proof(key, { htu: tokenUrl(), nonce: await nonceFrom(a) });
    const issued = await post(a, exchange, used);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(decodeJwt(issued.body.access_token).cnf).toEqual({ jkt: key.jkt });

    const before = await issuedCount(a);
    const refresh = { grant_type: "refresh_token", client_id: "cli-app", refresh_token: issued.body.refresh_token };
    const replayed = await post(b, refresh, used);
    expect(replayed.body.code).toBe("dpop_jti_reused");
    const swapped = await post(b, refresh, await proof(other, { htu: tokenUrl(), nonce: await nonceFrom(b) }));
    expect(swapped.body.code).toBe("dpop_refresh_key_swap");
    expect(await issuedCount(a)).toBe(before);

    // A's nonce is accepted by B: the instances share no state but the master key.
    const refreshed = await post(b, refresh, await proof(key, { htu: tokenUrl(), nonce: await nonceFrom(a) }));
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.token_type).toBe("DPoP");
    expect(decodeJwt(refreshed.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });
});
