import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "./support/browser.js";
import { type FreshDatabase, postgresOrSkip, searchPathUrl, testDatabases } from "./support/databases.js";
import {
  authorizeUrl,
  cliAppTokens,
  NATIVE_REDIRECT,
  RESOURCE,
  seedFlowFixtures,
  signInAndConsent,
  verifierAndChallenge,
} from "./support/flow.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const engines = await testDatabases();

/** The code flow end to end on PostgreSQL: compare-and-set redemption, rotation and reuse inside real transactions. */
describe("authorization code flow on PostgreSQL", () => {
  const postgres = postgresOrSkip(engines);
  if (!postgres) return;
  let fresh: FreshDatabase;
  let t: TestWard;
  let config: client.Configuration;

  beforeAll(async () => {
    fresh = await postgres.create();
    const url = searchPathUrl(fresh);
    t = await startTestWard({ database: { url }, tokens: { refresh_grace_period: 5 } });
    await seedFlowFixtures(t);
    config = await client.discovery(new URL(t.publicUrl), "cli-app", undefined, client.None(), { execute: [client.allowInsecureRequests] });
  });
  afterAll(async () => {
    await t?.stop();
    await fresh?.drop();
  });

  it("redeems a code once: two concurrent redemptions give one token response and revoke it", async () => {
    const { verifier, challenge } = verifierAndChallenge();
    const page = await signInAndConsent(
      new TestBrowser(t.publicUrl),
      authorizeUrl(t, {
        client_id: "cli-app",
        redirect_uri: NATIVE_REDIRECT,
        response_type: "code",
        scope: "openid offline_access notes:read",
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
    );
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      client_id: "cli-app",
      code: page.redirectParams.get("code") as string,
      redirect_uri: NATIVE_REDIRECT,
      code_verifier: verifier,
    });
    const answers = await Promise.all([1, 2].map(() => fetch(`${t.publicUrl}/token`, { method: "POST", body })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const loser = (await answers.find((a) => a.status === 400)?.json()) as { code: string };
    expect(loser.code).toBe("authorization_code_reused");
    expect(t.ward.database.dialect).toBe("postgres");
  });

  it("refuses NUL characters (PostgreSQL text cannot hold them) with text_nul_character, never a 500", async () => {
    const form = (body: Record<string, string>, path = "/token") =>
      fetch(`${t.publicUrl}${path}`, { method: "POST", body: new URLSearchParams(body) });
    const answers = [
      await fetch(`${t.publicUrl}/authorize?client_id=cli-app%00`),
      await fetch(`${t.publicUrl}/end_session?client_id=a%00`),
      await form({ grant_type: "authorization_code", client_id: "cli%00".replace("%00", "\u0000") }),
      await fetch(`${t.publicUrl}/introspect`, {
        method: "POST",
        headers: { authorization: `Basic ${Buffer.from("web-app%00:x").toString("base64")}` },
        body: new URLSearchParams({ token: "x" }),
      }),
      await t.admin("/admin/v1/clients", {
        body: { client_id: "nul-client", client_name: "a\u0000b", redirect_uris: ["https://a.example/cb"] },
      }),
      await t.admin("/admin/v1/clients/a%00b"),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 401, 400, 400]);
    const bodies = await Promise.all(answers.map((a) => a.text()));
    for (const body of [bodies[0], bodies[1], bodies[2], bodies[5]]) expect(body).toContain("text_nul_character");
    expect(bodies[3]).toContain("client_basic_auth_malformed");
    expect(bodies[4]).toContain("client_name");
  });

  it("rotates refresh tokens; within the grace interval a duplicate gets the same pair; later reuse revokes the family", async () => {
    const issued = await cliAppTokens(t, { scope: "openid offline_access notes:read", resource: RESOURCE, state: "pg" });
    const [a, b] = await Promise.all([1, 2].map(() => client.refreshTokenGrant(config, issued.refresh_token as string)));
    expect(a?.refresh_token).toBe(b?.refresh_token);
    expect(a?.access_token).toBe(b?.access_token);
    await t.ward.database.db
      .updateTable("refresh_tokens")
      .set({ spent_at: Date.now() - 60_000 })
      .where("spent_at", "is not", null)
      .execute();
    const reuse = await client.refreshTokenGrant(config, issued.refresh_token as string).catch((e: client.ResponseBodyError) => e.cause);
    expect((reuse as { code: string }).code).toBe("refresh_token_reused");
    const next = await client.refreshTokenGrant(config, a?.refresh_token as string).catch((e: client.ResponseBodyError) => e.cause);
    expect((next as { code: string }).code).toBe("refresh_token_revoked");
  });
});
