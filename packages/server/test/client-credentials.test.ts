import { decodeJwt } from "jose";
import * as oauth from "oauth4webapi";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCE, seedFlowFixtures } from "./support/flow.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function m2mClient(t: TestWard, body: Record<string, unknown> = {}) {
  const response = await t.admin("/admin/v1/clients", {
    body: {
      client_id: "m2m-agent",
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: "client_secret_basic",
      scope: "notes:read",
      ...body,
    },
  });
  const created = (await response.json()) as { client_secret: string };
  expect(response.status, JSON.stringify(created)).toBe(201);
  return created.client_secret;
}

describe("client_credentials (RFC 6749 §4.4): off by default", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard();
  });
  afterAll(() => t.stop());

  it("answers grant_type_disabled naming the configuration key, and discovery does not list it", async () => {
    const secret = await m2mClient(t);
    const response = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`m2m-agent:${secret}`).toString("base64")}` },
      body: new URLSearchParams({ grant_type: "client_credentials" }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; error: string; error_description: string };
    expect(body).toMatchObject({ error: "unsupported_grant_type", code: "grant_type_disabled" });
    expect(body.error_description).toContain("grants.client_credentials");
    const metadata = (await (await fetch(`${t.publicUrl}/.well-known/oauth-authorization-server`)).json()) as {
      grant_types_supported: string[];
    };
    expect(metadata.grant_types_supported).toEqual(["authorization_code", "refresh_token"]);
  });
});

describe("client_credentials when enabled (grants.client_credentials: true)", () => {
  let t: TestWard;
  let as: oauth.AuthorizationServer;
  let secret: string;
  beforeAll(async () => {
    t = await startTestWard({ grants: { client_credentials: true } });
    await seedFlowFixtures(t);
    secret = await m2mClient(t);
    as = await oauth.processDiscoveryResponse(new URL(t.publicUrl), await oauth.discoveryRequest(new URL(t.publicUrl), insecure));
  });
  afterAll(() => t.stop());

  const grant = (parameters: Record<string, string>, clientSecret = secret) =>
    oauth.clientCredentialsGrantRequest(as, { client_id: "m2m-agent" }, oauth.ClientSecretBasic(clientSecret), parameters, insecure);

  it("issues an RFC 9068 token whose sub is the client, for the resource, with no refresh or ID token", async () => {
    expect(as.grant_types_supported).toContain("client_credentials");
    const result = await oauth.processClientCredentialsResponse(as, { client_id: "m2m-agent" }, await grant({ resource: RESOURCE }));
    expect(result.refresh_token).toBeUndefined();
    expect(result.id_token).toBeUndefined();
    expect(result.scope).toBe("notes:read");
    expect(decodeJwt(result.access_token)).toMatchObject({
      sub: "m2m-agent",
      client_id: "m2m-agent",
      aud: RESOURCE,
      scope: "notes:read",
      iss: t.publicUrl,
    });
    const introspected = await fetch(`${t.publicUrl}/introspect`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`m2m-agent:${secret}`).toString("base64")}` },
      body: new URLSearchParams({ token: result.access_token }),
    });
    expect(await introspected.json()).toMatchObject({ active: true, sub: "m2m-agent" });
  });

  it("completes with openid-client, the token's aud being the requested resource", async () => {
    const config = await client.discovery(new URL(t.publicUrl), "m2m-agent", undefined, client.ClientSecretBasic(secret), {
      execute: [client.allowInsecureRequests],
    });
    const tokens = await client.clientCredentialsGrant(config, { resource: RESOURCE, scope: "notes:read" });
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: "m2m-agent", aud: RESOURCE, scope: "notes:read" });
    const refused = await client.clientCredentialsGrant(config, { resource: RESOURCE, scope: "notes:write" }).then(
      () => undefined,
      (error: unknown) => error as client.ResponseBodyError,
    );
    expect(refused?.error).toBe("invalid_scope");
    expect((refused?.cause as { code?: string } | undefined)?.code).toBe("scope_not_allowed_for_client");
  });

  it("infers the resource from the scopes, and refuses scopes the admin did not grant the client", async () => {
    const inferred = await oauth.processClientCredentialsResponse(as, { client_id: "m2m-agent" }, await grant({ scope: "notes:read" }));
    expect(decodeJwt(inferred.access_token).aud).toBe(RESOURCE);
    const wider = await grant({ scope: "notes:read notes:write", resource: RESOURCE });
    expect(wider.status).toBe(400);
    expect(await wider.json()).toMatchObject({ error: "invalid_scope", code: "scope_not_allowed_for_client" });
    const openid = await grant({ scope: "openid" });
    expect(((await openid.json()) as { code: string }).code).toBe("scope_not_allowed_for_client");
  });

  it("refuses a wrong secret, and a client not registered for the grant", async () => {
    expect(((await (await grant({ resource: RESOURCE }, "wrong")).json()) as { code: string }).code).toBe("client_secret_invalid");
    const web = await t.admin("/admin/v1/clients/web-app/rotate-secret", { body: {} });
    const webSecret = ((await web.json()) as { client_secret: string }).client_secret;
    const refused = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: "web-app" },
      oauth.ClientSecretBasic(webSecret),
      { resource: RESOURCE },
      insecure,
    );
    expect(await refused.json()).toMatchObject({ error: "unauthorized_client", code: "grant_type_not_allowed_for_client" });
  });
});
