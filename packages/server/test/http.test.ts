import { createRemoteJWKSet, jwtVerify, SignJWT } from "jose";
import * as oauth from "oauth4webapi";
import * as client from "openid-client";
import { describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { json } from "./support/json.js";

const t = useTestWard();

describe("RFC 8414 / OpenID discovery", () => {
  it("serves the same metadata at both well-known paths, with issuer equal to the configured issuer", async () => {
    const a = await fetch(`${t.publicUrl}/.well-known/oauth-authorization-server`);
    const b = await fetch(`${t.publicUrl}/.well-known/openid-configuration`);
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toMatch(/^application\/json/);
    const metadata = await json(a);
    expect(await json(b)).toEqual(metadata);
    expect(metadata.issuer).toBe(t.ward.config.server.issuer);
    expect(metadata.jwks_uri).toBe(`${t.ward.config.server.issuer}/jwks.json`);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
  });

  it("lists only implemented endpoints (no endpoint is advertised before it exists)", async () => {
    const metadata = await json(await fetch(`${t.publicUrl}/.well-known/oauth-authorization-server`));
    for (const [field, value] of Object.entries(metadata)) {
      if (!field.endsWith("_endpoint") && field !== "jwks_uri") continue;
      const response = await fetch(String(value));
      expect(response.status, `${field} ${value}`).not.toBe(404);
    }
  });

  it("is accepted by openid-client and oauth4webapi discovery", async () => {
    const issuer = new URL(t.ward.config.server.issuer);
    const configuration = await client.discovery(issuer, "some-client", undefined, undefined, { execute: [client.allowInsecureRequests] });
    expect(configuration.serverMetadata().issuer).toBe(issuer.href.replace(/\/$/, ""));
    const response = await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true });
    const as = await oauth.processDiscoveryResponse(issuer, response);
    expect(as.jwks_uri).toBe(`${issuer.origin}/jwks.json`);
  });
});

describe("JWKS", () => {
  it("serves the signing key with Cache-Control, and it verifies tokens signed by the active key", async () => {
    const response = await fetch(`${t.publicUrl}/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    const { keys } = await json(response);
    const active = t.ward.keys.signingKey();
    expect(keys.map((k: { kid: string }) => k.kid)).toContain(active.kid);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: active.alg, kid: active.kid })
      .setIssuer(t.ward.config.server.issuer)
      .sign(active.signer.key);
    const jwks = createRemoteJWKSet(new URL(`${t.publicUrl}/jwks.json`));
    const { payload } = await jwtVerify(jwt, jwks, { issuer: t.ward.config.server.issuer });
    expect(payload.iss).toBe(t.ward.config.server.issuer);
  });
});

describe("health and readiness", () => {
  it("/health is ok and /ready checks the database and the signing key", async () => {
    expect(await json(await fetch(`${t.publicUrl}/health`))).toEqual({ status: "ok" });
    const ready = await fetch(`${t.publicUrl}/ready`);
    expect(ready.status).toBe(200);
    const body = await json(ready);
    expect(body.status).toBe("ready");
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.signing_key).toEqual({ ok: true, detail: t.ward.keys.signingKey().kid });
  });
});

describe("errors", () => {
  it("answers an unknown path with the catalog's endpoint_not_found, pointing at the metadata", async () => {
    const response = await fetch(`${t.publicUrl}/nope?secret=1`);
    expect(response.status).toBe(404);
    const body = await json(response);
    expect(body).toEqual({
      error: "not_found",
      code: "endpoint_not_found",
      error_description: `There is no endpoint at GET /nope on this server. The endpoints this server offers are listed in ${t.ward.config.server.issuer}/.well-known/oauth-authorization-server.`,
      error_uri: `${t.ward.config.server.issuer}/errors/endpoint_not_found`,
    });
  });

  it("explains a Protected Resource Metadata request sent to the authorization server", async () => {
    const response = await fetch(`${t.publicUrl}/.well-known/oauth-protected-resource/mcp`);
    expect(response.status).toBe(404);
    expect((await json(response)).code).toBe("protected_resource_metadata_on_authorization_server");
  });

  it("serves every error_uri as an HTML explanation page", async () => {
    const response = await fetch(`${t.publicUrl}/errors/config_session_secret_missing`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("session.secret is required");
    expect(html).toContain("openssl rand -hex 32");
    expect(html).toContain("ward explain config_session_secret_missing");
    expect((await fetch(`${t.publicUrl}/errors/no_such_code`)).status).toBe(404);
  });

  it("puts anti-clickjacking headers, CSP and a request id on every response", async () => {
    const response = await fetch(`${t.publicUrl}/health`, { headers: { "x-request-id": "req-12345678" } });
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-request-id")).toBe("req-12345678");
    const unsafe = await fetch(`${t.publicUrl}/health`, { headers: { "x-request-id": "<script>" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
