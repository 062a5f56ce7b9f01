import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectInvalid } from "./support/admin.js";
import { RESOURCE, seedFlowFixtures, USER } from "./support/flow.js";
import { refused, refusedWithoutIssuing as refusedAndNothingIssued } from "./support/refused.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const IDP = "https://idp.example.test";
const PARTNER = "https://partner.example.test";
const execute = { execute: [client.allowInsecureRequests] };

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** The identity provider's JWKS, served on a loopback port (nothing leaves loopback). */
async function serveJwks(keys: KeyPair): Promise<{ server: Server; uri: string }> {
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: "idp-1", alg: "ES256", use: "sig" };
  const server = createServer((_, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks` };
}

async function confidentialClient(t: TestWard, clientId: string): Promise<client.Configuration> {
  const response = await t.admin("/admin/v1/clients", {
    body: { client_id: clientId, grant_types: [JWT_BEARER], token_endpoint_auth_method: "client_secret_basic" },
  });
  const created = (await response.json()) as { client_secret: string };
  expect(response.status, JSON.stringify(created)).toBe(201);
  return client.discovery(new URL(t.publicUrl), clientId, undefined, client.ClientSecretBasic(created.client_secret), execute);
}

describe("JWT bearer grant (RFC 7523 §2.1) and ID-JAG from a trusted issuer", () => {
  let t: TestWard;
  let idpKeys: KeyPair;
  let partnerKeys: KeyPair;
  let jwks: { server: Server; uri: string };
  let agent: client.Configuration;
  let otherApp: client.Configuration;
  let userId: string;

  /** An ID-JAG for agent-app (typ oauth-id-jag+jwt), valid unless claims or header are overridden. */
  const idJag = (claims: JWTPayload = {}, options: { typ?: string; key?: KeyPair["privateKey"]; kid?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      email: USER.email,
      client_id: "agent-app",
      resource: RESOURCE,
      scope: "notes:read",
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", typ: options.typ ?? "oauth-id-jag+jwt", kid: options.kid ?? "idp-1" })
      .setIssuer((claims.iss as string) ?? IDP)
      .setSubject("idp-user-42")
      .setAudience((claims.aud as string) ?? t.publicUrl)
      .setIssuedAt((claims.iat as number) ?? now)
      .setExpirationTime((claims.exp as number) ?? now + 300)
      .setJti((claims.jti as string) ?? randomUUID())
      .sign(options.key ?? idpKeys.privateKey);
  };
  const redeem = (config: client.Configuration, assertion: string, parameters: Record<string, string> = {}) =>
    client.genericGrantRequest(config, JWT_BEARER, { assertion, ...parameters });
  const tokenCount = async () => {
    const db = t.ward.database.db;
    return (await db.selectFrom("access_tokens").select(db.fn.countAll().as("n")).executeTakeFirstOrThrow()).n;
  };
  const refusedWithoutIssuing = (promise: Promise<unknown>) => refusedAndNothingIssued(promise, tokenCount);

  beforeAll(async () => {
    idpKeys = await generateKeyPair("ES256");
    partnerKeys = await generateKeyPair("ES256");
    jwks = await serveJwks(idpKeys);
    t = await startTestWard({ grants: { jwt_bearer: true } });
    await seedFlowFixtures(t);
    const trusted = await t.admin("/admin/v1/trusted-issuers", {
      body: { issuer: IDP, jwks_uri: jwks.uri, client_ids: ["agent-app"], resources: [RESOURCE], subject_mapping: "email" },
    });
    expect(trusted.status, await trusted.clone().text()).toBe(201);
    const partner = await t.admin("/admin/v1/trusted-issuers", {
      body: {
        issuer: PARTNER,
        jwks: { keys: [{ ...(await exportJWK(partnerKeys.publicKey)), kid: "p-1", alg: "ES256" }] },
        client_ids: ["agent-app"],
        resources: [RESOURCE],
      },
    });
    expect(partner.status, await partner.clone().text()).toBe(201);
    agent = await confidentialClient(t, "agent-app");
    otherApp = await confidentialClient(t, "other-app");
    const users = (await (await t.admin("/admin/v1/users")).json()) as { users: { id: string; email: string }[] };
    userId = users.users.find((u) => u.email === USER.email)?.id as string;
  });
  afterAll(async () => {
    await t.stop();
    jwks.server.close();
  });

  it("redeems an ID-JAG for a token for the asserted resource and scope, sub mapped to the Ward user by email", async () => {
    expect(agent.serverMetadata().grant_types_supported).toContain(JWT_BEARER);
    const assertion = await idJag();
    const response = await redeem(agent, assertion);
    expect(response.refresh_token).toBeUndefined();
    expect(decodeJwt(response.access_token)).toMatchObject({ sub: userId, client_id: "agent-app", aud: RESOURCE, scope: "notes:read" });
    const audit = (await (await t.admin(`/admin/v1/audit-events?type=token.issued&subject=${userId}&limit=1`)).json()) as {
      audit_events: { data: Record<string, unknown> }[];
    };
    expect(audit.audit_events[0]?.data).toMatchObject({
      grant_type: JWT_BEARER,
      assertion_issuer: IDP,
      assertion_subject: "idp-user-42",
      id_jag: true,
    });

    const replay = await refusedWithoutIssuing(redeem(agent, assertion));
    expect(replay).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_assertion_reused" });
  });

  it("redeems a plain RFC 7523 assertion from an issuer with inline keys, keeping its sub (external mapping)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "p-1" })
      .setIssuer(PARTNER)
      .setSubject("partner-service-7")
      .setAudience(`${t.publicUrl}/token`)
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .setJti(randomUUID())
      .sign(partnerKeys.privateKey);
    const response = await redeem(agent, assertion, { resource: RESOURCE, scope: "notes:write" });
    expect(decodeJwt(response.access_token)).toMatchObject({ sub: "partner-service-7", aud: RESOURCE, scope: "notes:write" });
  });

  it("refuses a stale iat, naming jwt_bearer.max_assertion_age, and an expired assertion", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = await refusedWithoutIssuing(redeem(agent, await idJag({ iat: now - 600, exp: now + 60 })));
    expect(stale).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_assertion_stale" });
    expect(stale.description).toContain("within the last 300 seconds (jwt_bearer.max_assertion_age)");
    const expired = await refusedWithoutIssuing(redeem(agent, await idJag({ iat: now - 200, exp: now - 100 })));
    expect(expired.code).toBe("jwt_bearer_assertion_expired");
  });

  it("RFC 7523 §3: refuses an nbf in the future with jwt_bearer_assertion_not_yet_valid, and does not spend its jti", async () => {
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const early = await refusedWithoutIssuing(redeem(agent, await idJag({ nbf: now + 120, jti })));
    expect(early).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_assertion_not_yet_valid" });
    expect(early.description).toContain(new Date((now + 120) * 1000).toISOString());
    const unreadable = await refusedWithoutIssuing(redeem(agent, await idJag({ nbf: "soon" as unknown as number })));
    expect(unreadable.code).toBe("jwt_bearer_assertion_not_yet_valid");
    // nbf within the clock skew is accepted, and the refused assertion's jti was not spent.
    const response = await redeem(agent, await idJag({ nbf: now + 10, jti }));
    expect(decodeJwt(response.access_token).client_id).toBe("agent-app");
  });

  it("refuses a wrong aud, and does not spend the jti of a refused assertion", async () => {
    const jti = randomUUID();
    const wrong = await refusedWithoutIssuing(redeem(agent, await idJag({ aud: "https://other-as.example.test", jti })));
    expect(wrong).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_audience_mismatch" });
    expect(wrong.description).toContain(`expected ${t.publicUrl} or ${t.publicUrl}/token`);
    const right = await redeem(agent, await idJag({ jti }));
    expect(right.access_token).toBeTruthy();
  });

  it("refuses an untrusted iss and a signature by another key", async () => {
    const untrusted = await refusedWithoutIssuing(redeem(agent, await idJag({ iss: "https://evil.example.test" })));
    expect(untrusted).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_issuer_untrusted" });
    expect(untrusted.description).toBe('The assertion\'s iss "https://evil.example.test" is not a trusted issuer on this server.');
    const forged = await refusedWithoutIssuing(redeem(agent, await idJag({}, { key: partnerKeys.privateKey })));
    expect(forged).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_signature_invalid" });
  });

  it("refuses an ID-JAG issued to another client, and a client the issuer does not list", async () => {
    const mismatch = await refusedWithoutIssuing(redeem(agent, await idJag({ client_id: "other-app" })));
    expect(mismatch).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_id_jag_client_mismatch" });
    expect(mismatch.description).toBe('The identity assertion\'s client_id is "other-app", but client agent-app is redeeming it.');
    const notListed = await refusedWithoutIssuing(redeem(otherApp, await idJag({ client_id: "other-app" })));
    expect(notListed).toMatchObject({ error: "unauthorized_client", code: "jwt_bearer_client_not_allowed" });
    expect(notListed.description).toBe(`Client other-app may not use assertions from ${IDP}; allowed clients: agent-app.`);
  });

  it("refuses a non-JWT, an assertion without jti, and an email that names no Ward user", async () => {
    const malformed = await refusedWithoutIssuing(redeem(agent, "not-a-jwt"));
    expect(malformed).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_assertion_malformed" });
    const now = Math.floor(Date.now() / 1000);
    const noJti = await new SignJWT({ email: USER.email, client_id: "agent-app" })
      .setProtectedHeader({ alg: "ES256", typ: "oauth-id-jag+jwt", kid: "idp-1" })
      .setIssuer(IDP)
      .setSubject("idp-user-42")
      .setAudience(t.publicUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(idpKeys.privateKey);
    const missing = await refusedWithoutIssuing(redeem(agent, noJti, { resource: RESOURCE }));
    expect(missing).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_claim_missing" });
    expect(missing.description).toContain("no jti claim");
    const stranger = await refusedWithoutIssuing(redeem(agent, await idJag({ email: "nobody@example.com" })));
    expect(stranger).toMatchObject({ error: "invalid_grant", code: "jwt_bearer_subject_unknown" });
    expect(stranger.description).toContain('no enabled Ward user has the email "nobody@example.com"');
  });

  it("refuses a scope beyond the ID-JAG and a resource the issuer does not allow", async () => {
    const wider = await refusedWithoutIssuing(redeem(agent, await idJag(), { scope: "notes:read notes:write" }));
    expect(wider).toMatchObject({ error: "invalid_scope", code: "jwt_bearer_scope_not_granted" });
    await t.admin("/admin/v1/resources", { body: { uri: "https://elsewhere.example.test/api", scopes: [] } });
    const conflict = await refusedWithoutIssuing(redeem(agent, await idJag(), { resource: "https://elsewhere.example.test/api" }));
    expect(conflict).toMatchObject({ error: "invalid_target", code: "token_exchange_target_conflict" });
    const target = await refusedWithoutIssuing(redeem(agent, await idJag({ resource: "https://elsewhere.example.test/api", scope: "" })));
    expect(target).toMatchObject({ error: "invalid_target", code: "jwt_bearer_target_not_allowed" });
  });
});

describe("trusted issuers admin API (/admin/v1/trusted-issuers)", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard();
  });
  afterAll(() => t.stop());

  it("creates, lists, gets by id or issuer, refuses duplicates and bad bodies, deletes", async () => {
    const body = { issuer: IDP, jwks_uri: "https://idp.example.test/jwks", client_ids: ["a"], resources: [RESOURCE] };
    const created = await t.admin("/admin/v1/trusted-issuers", { body });
    const record = (await created.json()) as { id: string; subject_mapping: string };
    expect(created.status).toBe(201);
    expect(record.subject_mapping).toBe("external");
    const duplicate = await t.admin("/admin/v1/trusted-issuers", { body });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ code: "trusted_issuer_taken" });
    await expectInvalid(
      await t.admin("/admin/v1/trusted-issuers", { body: { ...body, issuer: PARTNER, jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } } }),
      ["jwks.keys.0", "jwks.keys.0"],
    );
    const { publicKey } = await generateKeyPair("ES256");
    const both = await expectInvalid(
      await t.admin("/admin/v1/trusted-issuers", { body: { ...body, issuer: PARTNER, jwks: { keys: [await exportJWK(publicKey)] } } }),
      ["jwks_uri"],
    );
    expect(both.problems[0]?.expected).toBe("either jwks or jwks_uri, not both");
    await expectInvalid(await t.admin("/admin/v1/trusted-issuers", { body: { issuer: PARTNER, client_ids: [], resources: [RESOURCE] } }), [
      "client_ids",
    ]);
    const list = (await (await t.admin("/admin/v1/trusted-issuers")).json()) as { trusted_issuers: unknown[] };
    expect(list.trusted_issuers).toHaveLength(1);
    expect((await t.admin(`/admin/v1/trusted-issuers/${encodeURIComponent(IDP)}`)).status).toBe(200);
    expect((await t.admin(`/admin/v1/trusted-issuers/${record.id}`, { method: "DELETE" })).status).toBe(204);
    const gone = await t.admin(`/admin/v1/trusted-issuers/${record.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: "trusted_issuer_not_found" });
  });

  it("the grant is off by default: grant_type_disabled", async () => {
    const config = await confidentialClient(t, "agent-off");
    expect(config.serverMetadata().grant_types_supported).not.toContain(JWT_BEARER);
    const result = await refused(client.genericGrantRequest(config, JWT_BEARER, { assertion: "x.y.z" }));
    expect(result).toMatchObject({ error: "unsupported_grant_type", code: "grant_type_disabled" });
    expect(result.description).toContain("grants.jwt_bearer");
  });
});
