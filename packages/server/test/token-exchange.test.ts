import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAppTokens, RESOURCE, seedFlowFixtures } from "./support/flow.js";
import { refused, refusedWithoutIssuing as refusedAndNothingIssued } from "./support/refused.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
const SERVICE_B = "https://b.example.test/api";
const SERVICE_C = "https://c.example.test/api";
const execute = { execute: [client.allowInsecureRequests] };

async function ok(response: Response): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBeLessThan(300);
  return body;
}

/** A confidential service allowed client_credentials (its actor tokens) and token exchange; returns its openid-client configuration. */
async function service(t: TestWard, clientId: string, grantTypes = ["client_credentials", TOKEN_EXCHANGE]): Promise<client.Configuration> {
  const created = await ok(
    await t.admin("/admin/v1/clients", {
      body: { client_id: clientId, grant_types: grantTypes, token_endpoint_auth_method: "client_secret_basic", scope: "notes:read" },
    }),
  );
  return client.discovery(new URL(t.publicUrl), clientId, undefined, client.ClientSecretBasic(created.client_secret as string), execute);
}

const notes = [
  { name: "notes:read", description: "Read your notes" },
  { name: "notes:write", description: "Change your notes" },
];

describe("Token exchange (RFC 8693) with openid-client", () => {
  let t: TestWard;
  let offset = 0;
  let serviceA: client.Configuration;
  let serviceB: client.Configuration;
  let userToken: string;

  const actorToken = async (config: client.Configuration) =>
    (await client.clientCredentialsGrant(config, { resource: RESOURCE })).access_token;
  const exchange = (config: client.Configuration, parameters: Record<string, string>) =>
    client.genericGrantRequest(config, TOKEN_EXCHANGE, { subject_token_type: ACCESS_TOKEN, ...parameters });
  /** Access tokens recorded and token.exchanged events: a refused exchange changes neither. */
  const issued = async () => {
    const db = t.ward.database.db;
    const tokens = await db.selectFrom("access_tokens").select(db.fn.countAll().as("n")).executeTakeFirstOrThrow();
    const events = await db
      .selectFrom("audit_events")
      .select(db.fn.countAll().as("n"))
      .where("type", "=", "token.exchanged")
      .executeTakeFirstOrThrow();
    return `${tokens.n}/${events.n}`;
  };
  const refusedWithoutIssuing = (promise: Promise<unknown>) => refusedAndNothingIssued(promise, issued);

  beforeAll(async () => {
    t = await startTestWard(
      { grants: { client_credentials: true, token_exchange: true }, token_exchange: { max_chain_depth: 2 } },
      { now: () => Date.now() + offset },
    );
    await seedFlowFixtures(t);
    await ok(await t.admin(`/admin/v1/resources/${encodeURIComponent(RESOURCE)}`, { method: "PATCH", body: { may_act: "svc-a" } }));
    await ok(
      await t.admin("/admin/v1/resources", {
        body: { uri: SERVICE_B, scopes: notes, token_exchange_clients: ["svc-a"], may_act: "svc-b" },
      }),
    );
    await ok(await t.admin("/admin/v1/resources", { body: { uri: SERVICE_C, scopes: notes, token_exchange_clients: ["svc-b"] } }));
    serviceA = await service(t, "svc-a");
    serviceB = await service(t, "svc-b");
    userToken = (await cliAppTokens(t, { scope: "notes:read notes:write", resource: RESOURCE })).access_token;
  });
  afterAll(() => t.stop());

  it("advertises the grant and carries the resource's may_act in the user's token (§4.4)", () => {
    expect(serviceA.serverMetadata().grant_types_supported).toContain(TOKEN_EXCHANGE);
    expect(decodeJwt(userToken)).toMatchObject({ aud: RESOURCE, client_id: "cli-app", may_act: { sub: "svc-a" } });
  });

  it("delegates twice: user → svc-a → svc-b, nesting act (§4.1), narrowing scope and keeping sub", async () => {
    const user = decodeJwt(userToken);
    const first = await exchange(serviceA, {
      subject_token: userToken,
      actor_token: await actorToken(serviceA),
      actor_token_type: ACCESS_TOKEN,
      resource: SERVICE_B,
      scope: "notes:read",
    });
    expect(first.issued_token_type).toBe(ACCESS_TOKEN);
    expect(first.refresh_token).toBeUndefined();
    expect(first.scope).toBe("notes:read");
    const hop1 = decodeJwt(first.access_token);
    expect(hop1).toMatchObject({
      sub: user.sub,
      client_id: "svc-a",
      aud: SERVICE_B,
      scope: "notes:read",
      act: { sub: "svc-a", client_id: "svc-a" },
      may_act: { sub: "svc-b" },
    });
    expect(hop1.exp).toBeLessThanOrEqual(user.exp as number);

    const second = await exchange(serviceB, {
      subject_token: first.access_token,
      actor_token: await actorToken(serviceB),
      actor_token_type: ACCESS_TOKEN,
      audience: SERVICE_C,
    });
    const hop2 = decodeJwt(second.access_token) as { act: { sub: string; act: { sub: string; act?: unknown } } } & Record<string, unknown>;
    expect(hop2).toMatchObject({ sub: user.sub, client_id: "svc-b", aud: SERVICE_C, scope: "notes:read" });
    expect(hop2.act.sub).toBe("svc-b");
    expect(hop2.act.act.sub).toBe("svc-a");
    expect(hop2.act.act.act).toBeUndefined();
    expect(hop2.may_act).toBeUndefined();

    const introspected = await client.tokenIntrospection(serviceB, second.access_token);
    expect(introspected).toMatchObject({ active: true, sub: user.sub });
    const audit = (await (await t.admin("/admin/v1/audit-events?type=token.exchanged&limit=1")).json()) as {
      audit_events: { actor: string; subject: string; data: Record<string, unknown> }[];
    };
    expect(audit.audit_events[0]).toMatchObject({
      actor: "svc-b",
      subject: user.sub,
      data: { mode: "delegation", subject_token_jti: hop1.jti, resource: SERVICE_C, act: { sub: "svc-b", act: { sub: "svc-a" } } },
    });

    const third = await refusedWithoutIssuing(
      exchange(serviceA, {
        subject_token: second.access_token,
        actor_token: await actorToken(serviceA),
        actor_token_type: ACCESS_TOKEN,
        resource: SERVICE_B,
      }),
    );
    expect(third).toMatchObject({ error: "invalid_request", code: "token_exchange_chain_too_deep" });
    expect(third.description).toContain("svc-a ← svc-b ← svc-a");
    expect(third.description).toContain("max_chain_depth is 2");
  });

  it("impersonation (no actor_token) keeps sub and adds no act", async () => {
    const response = await exchange(serviceA, { subject_token: userToken, resource: SERVICE_B });
    const token = decodeJwt(response.access_token);
    expect(token).toMatchObject({ sub: decodeJwt(userToken).sub, client_id: "svc-a", scope: "notes:read notes:write" });
    expect(token.act).toBeUndefined();
  });

  it("refuses to widen the scope, naming the extra scopes (invalid_scope)", async () => {
    const narrow = await exchange(serviceA, { subject_token: userToken, resource: SERVICE_B, scope: "notes:read" });
    const result = await refusedWithoutIssuing(
      exchange(serviceB, { subject_token: narrow.access_token, audience: SERVICE_C, scope: "notes:read notes:write" }),
    );
    expect(result).toMatchObject({ error: "invalid_scope", code: "token_exchange_scope_widened" });
    expect(result.description).toContain("Scopes notes:write are not in the subject token's scope (notes:read)");
  });

  it("refuses an unknown audience (invalid_target) and one the client is not allowed", async () => {
    const unknown = await refusedWithoutIssuing(
      exchange(serviceA, { subject_token: userToken, resource: "https://nowhere.example.test/" }),
    );
    expect(unknown).toMatchObject({ error: "invalid_target", code: "resource_unknown" });
    const disallowed = await refusedWithoutIssuing(exchange(serviceA, { subject_token: userToken, resource: SERVICE_C }));
    expect(disallowed).toMatchObject({ error: "invalid_target", code: "token_exchange_target_not_allowed" });
    expect(disallowed.description).toBe(`Client svc-a may not exchange tokens for ${SERVICE_C}.`);
    const missing = await refusedWithoutIssuing(exchange(serviceA, { subject_token: userToken }));
    expect(missing).toMatchObject({ error: "invalid_target", code: "token_exchange_target_missing" });
    const conflict = await refusedWithoutIssuing(
      exchange(serviceA, { subject_token: userToken, resource: SERVICE_B, audience: SERVICE_C }),
    );
    expect(conflict).toMatchObject({ error: "invalid_target", code: "token_exchange_target_conflict" });
    expect(conflict.description).toBe(
      `The request names two targets, resource "${SERVICE_B}" and audience "${SERVICE_C}"; Ward issues each token for one resource.`,
    );
    const two = new URLSearchParams({ subject_token: userToken, subject_token_type: ACCESS_TOKEN });
    two.append("resource", SERVICE_B);
    two.append("resource", SERVICE_C);
    const twoResources = await refusedWithoutIssuing(client.genericGrantRequest(serviceA, TOKEN_EXCHANGE, two));
    expect(twoResources).toMatchObject({ error: "invalid_target", code: "resource_invalid" });
  });

  it("refuses an actor other than the subject token's may_act", async () => {
    const result = await refusedWithoutIssuing(
      exchange(serviceB, {
        subject_token: userToken,
        actor_token: await actorToken(serviceB),
        actor_token_type: ACCESS_TOKEN,
        audience: SERVICE_C,
      }),
    );
    expect(result).toMatchObject({ error: "invalid_request", code: "token_exchange_may_act_mismatch" });
    expect(result.description).toBe('The subject token\'s may_act allows "svc-a" to act for it; the actor is svc-b.');
  });

  it("refuses another client's token as actor_token", async () => {
    const result = await refusedWithoutIssuing(
      exchange(serviceA, {
        subject_token: userToken,
        actor_token: await actorToken(serviceB),
        actor_token_type: ACCESS_TOKEN,
        resource: SERVICE_B,
      }),
    );
    expect(result).toMatchObject({ code: "token_exchange_actor_token_foreign" });
  });

  it("a DPoP-bound subject token is exchanged only with a DPoP proof, for a token bound to the exchanging client's key", async () => {
    const subjectKey = client.getDPoPHandle(serviceA, await client.randomDPoPKeyPair());
    const bound = (await client.clientCredentialsGrant(serviceA, { resource: RESOURCE }, { DPoP: subjectKey })).access_token;
    const subjectJkt = (decodeJwt(bound).cnf as { jkt: string }).jkt;
    const unproven = await refusedWithoutIssuing(exchange(serviceA, { subject_token: bound, resource: SERVICE_B }));
    expect(unproven).toMatchObject({ error: "invalid_request", code: "token_exchange_subject_dpop_unproven" });
    expect(unproven.description).toContain(subjectJkt);
    const exchangeKey = await client.randomDPoPKeyPair();
    const response = await client.genericGrantRequest(
      serviceA,
      TOKEN_EXCHANGE,
      { subject_token_type: ACCESS_TOKEN, subject_token: bound, resource: SERVICE_B },
      { DPoP: client.getDPoPHandle(serviceA, exchangeKey) },
    );
    expect(response.token_type.toLowerCase()).toBe("dpop");
    expect((decodeJwt(response.access_token).cnf as { jkt: string }).jkt).not.toBe(subjectJkt);
  });

  it("a DPoP-bound actor token needs the exchange's proof to be by its key (token_exchange_actor_dpop_key_mismatch)", async () => {
    const actorKey = client.getDPoPHandle(serviceA, await client.randomDPoPKeyPair());
    const actor = (await client.clientCredentialsGrant(serviceA, { resource: RESOURCE }, { DPoP: actorKey })).access_token;
    const parameters = {
      subject_token_type: ACCESS_TOKEN,
      subject_token: userToken,
      actor_token: actor,
      actor_token_type: ACCESS_TOKEN,
      resource: SERVICE_B,
    };
    const withoutProof = await refusedWithoutIssuing(exchange(serviceA, parameters));
    expect(withoutProof).toMatchObject({ error: "invalid_dpop_proof", code: "token_exchange_actor_dpop_key_mismatch" });
    expect(withoutProof.description).toContain("has no DPoP proof");
    const otherKey = client.getDPoPHandle(serviceA, await client.randomDPoPKeyPair());
    const wrongKey = await refusedWithoutIssuing(client.genericGrantRequest(serviceA, TOKEN_EXCHANGE, parameters, { DPoP: otherKey }));
    expect(wrongKey.code).toBe("token_exchange_actor_dpop_key_mismatch");
    const response = await client.genericGrantRequest(serviceA, TOKEN_EXCHANGE, parameters, { DPoP: actorKey });
    expect(decodeJwt(response.access_token).act).toMatchObject({ sub: "svc-a" });
  });

  it("refuses a foreign, a revoked and an expired subject token, and an unsupported token type", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const foreign = await new SignJWT({ client_id: "cli-app", scope: "notes:read" })
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "elsewhere" })
      .setIssuer("https://other-issuer.example.test")
      .setSubject("usr_x")
      .setAudience(RESOURCE)
      .setIssuedAt()
      .setExpirationTime("1h")
      .setJti("at_foreign")
      .sign(privateKey);
    const fromElsewhere = await refusedWithoutIssuing(exchange(serviceA, { subject_token: foreign, resource: SERVICE_B }));
    expect(fromElsewhere).toMatchObject({ error: "invalid_request", code: "token_exchange_subject_token_invalid" });
    expect(fromElsewhere.description).toContain("token_signing_key_unknown");

    const revokedToken = (await cliAppTokens(t, { scope: "notes:read", resource: RESOURCE })).access_token;
    const revoke = await fetch(`${t.publicUrl}/revoke`, {
      method: "POST",
      body: new URLSearchParams({ client_id: "cli-app", token: revokedToken }),
    });
    expect(revoke.status).toBe(200);
    const revoked = await refusedWithoutIssuing(exchange(serviceA, { subject_token: revokedToken, resource: SERVICE_B }));
    expect(revoked.code).toBe("token_exchange_subject_token_invalid");
    expect(revoked.description).toContain("access_token_revoked");

    const wrongType = await refusedWithoutIssuing(
      exchange(serviceA, { subject_token: userToken, subject_token_type: "urn:ietf:params:oauth:token-type:saml2", resource: SERVICE_B }),
    );
    expect(wrongType.code).toBe("token_exchange_token_type_unsupported");
    const wantsRefresh = await refusedWithoutIssuing(
      exchange(serviceA, {
        subject_token: userToken,
        resource: SERVICE_B,
        requested_token_type: "urn:ietf:params:oauth:token-type:refresh_token",
      }),
    );
    expect(wantsRefresh.code).toBe("token_exchange_token_type_unsupported");

    offset = 2 * 3600 * 1000;
    try {
      const expired = await refusedWithoutIssuing(exchange(serviceA, { subject_token: userToken, resource: SERVICE_B }));
      expect(expired.code).toBe("token_exchange_subject_token_invalid");
      expect(expired.description).toContain("token_expired");
    } finally {
      offset = 0;
    }
  });

  it("the exchanged token never outlives the subject token", async () => {
    offset = 3000 * 1000;
    try {
      const response = await exchange(serviceA, { subject_token: userToken, resource: SERVICE_B });
      expect(response.expires_in).toBeLessThanOrEqual(600);
      expect(decodeJwt(response.access_token).exp).toBeLessThanOrEqual(decodeJwt(userToken).exp as number);
    } finally {
      offset = 0;
    }
  });

  it("an exchanged token dies with the user's grant: revoking the subject's refresh token family revokes it", async () => {
    const user = await cliAppTokens(t, { scope: "notes:read offline_access", resource: RESOURCE });
    const exchanged = await exchange(serviceA, { subject_token: user.access_token, resource: SERVICE_B });
    expect(await client.tokenIntrospection(serviceA, exchanged.access_token)).toMatchObject({ active: true });
    const revoke = await fetch(`${t.publicUrl}/revoke`, {
      method: "POST",
      body: new URLSearchParams({ client_id: "cli-app", token: user.refresh_token as string }),
    });
    expect(revoke.status).toBe(200);
    expect(await client.tokenIntrospection(serviceA, exchanged.access_token)).toMatchObject({ active: false });
  });

  it("refuses a public client even when registered with the grant", async () => {
    await ok(
      await t.admin("/admin/v1/clients", {
        body: { client_id: "public-agent", grant_types: [TOKEN_EXCHANGE], token_endpoint_auth_method: "none" },
      }),
    );
    const config = await client.discovery(new URL(t.publicUrl), "public-agent", undefined, client.None(), execute);
    const result = await refusedWithoutIssuing(exchange(config, { subject_token: userToken, resource: SERVICE_B }));
    expect(result).toMatchObject({ error: "unauthorized_client", code: "grant_type_not_allowed_for_client" });
    expect(result.description).toContain("none (a public client)");
  });
});

describe("Token exchange is off by default (grants.token_exchange)", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard();
  });
  afterAll(() => t.stop());

  it("answers grant_type_disabled and discovery does not list it", async () => {
    const config = await service(t, "svc-off", [TOKEN_EXCHANGE]);
    expect(config.serverMetadata().grant_types_supported).not.toContain(TOKEN_EXCHANGE);
    const result = await refused(
      client.genericGrantRequest(config, TOKEN_EXCHANGE, { subject_token: "x", subject_token_type: ACCESS_TOKEN }),
    );
    expect(result).toMatchObject({ error: "unsupported_grant_type", code: "grant_type_disabled" });
    expect(result.description).toContain("grants.token_exchange");
  });
});
