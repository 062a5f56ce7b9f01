import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "../../server/test/support/admin.js";
import { cliAppTokens, seedFlowFixtures } from "../../server/test/support/flow.js";
import { mountProtectedResourceMetadata, type WardAuthEnv, wardAuth } from "../src/adapters/hono.js";
import { createVerifier, protectNode, requireScope, type Verifier } from "../src/index.js";

/** A resource registered at the test Ward; its own path is /notes. */
const NOTES = "https://notes.example.test/notes";
const t = useTestWard();
let verifier: Verifier;
let server: Server;
let base: string;

const accessToken = async (resource: string, scope: string) => (await cliAppTokens(t, { resource, scope })).access_token;

beforeAll(async () => {
  await seedFlowFixtures(t);
  const scopes = [
    { name: "notes:read", description: "Read your notes" },
    { name: "notes:write", description: "Change your notes" },
  ];
  expect((await t.admin("/admin/v1/resources", { body: { uri: NOTES, scopes } })).status).toBe(201);
  verifier = createVerifier({ issuer: t.publicUrl, resource: NOTES, allowInsecureLoopback: true });
  server = createServer(
    protectNode({ verifier, scopes: ["notes:read"], errorsBaseUrl: `${t.publicUrl}/errors` }, (req, res) => {
      if (req.url === "/notes/write") requireScope(req.auth.extra.claims, "notes:write");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ client: req.auth.clientId, scopes: req.auth.scopes }));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const call = (path: string, token?: string) => fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("node:http adapter against tokens from a live Ward", () => {
  it("answers a call without a token with 401 and a challenge naming the resource metadata (RFC 9728 §5.1)", async () => {
    const response = await call("/notes/list");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer resource_metadata="https://notes.example.test/.well-known/oauth-protected-resource/notes"',
    );
    expect(((await response.json()) as { code: string }).code).toBe("bearer_token_missing");
  });

  it("serves its Protected Resource Metadata at the path-inserted and the root well-known URLs", async () => {
    for (const path of ["/.well-known/oauth-protected-resource/notes", "/.well-known/oauth-protected-resource"]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource: NOTES,
        authorization_servers: [t.publicUrl],
        bearer_methods_supported: ["header"],
        scopes_supported: ["notes:read"],
      });
    }
  });

  it("accepts a Ward token for this resource and hands the handler the client and scopes", async () => {
    const response = await call("/notes/list", await accessToken(NOTES, "notes:read"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ client: "cli-app", scopes: ["notes:read"] });
  });

  it("refuses a token for another resource, naming both audiences", async () => {
    const response = await call("/notes/list", await accessToken("https://api.example.test/mcp", "notes:read"));
    expect(response.status).toBe(401);
    const body = (await response.json()) as { code: string; error_description: string; error_uri: string };
    expect(body.code).toBe("token_audience_mismatch");
    expect(body.error_description).toBe(`The token's aud is "https://api.example.test/mcp", but this resource is ${NOTES}.`);
    expect(body.error_uri).toBe(`${t.publicUrl}/errors/token_audience_mismatch`);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("answers 403 insufficient_scope with the scope needed (step-up) when a route needs more", async () => {
    const response = await call("/notes/write", await accessToken(NOTES, "notes:read"));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect(response.headers.get("www-authenticate")).toContain('scope="notes:write"');
  });

  it("keeps verifying across a key rotation on the issuer (one JWKS re-fetch for the new kid)", async () => {
    expect((await call("/notes/list", await accessToken(NOTES, "notes:read"))).status).toBe(200);
    expect((await t.admin("/admin/v1/keys/rotate", { body: {} })).status).toBe(200);
    const response = await call("/notes/list", await accessToken(NOTES, "notes:read"));
    expect(response.status, await response.clone().text()).toBe(200);
  });
});

describe("Hono adapter", () => {
  it("serves the metadata, refuses without a token, and passes the claims to the route", async () => {
    const app = new Hono<WardAuthEnv>();
    const options = { verifier, scopes: ["notes:read"] };
    mountProtectedResourceMetadata(app as unknown as Hono, options);
    app.use("/notes/*", wardAuth(options));
    app.get("/notes/list", (c) => c.json({ sub: c.get("ward").claims.sub }));
    expect((await app.request("/.well-known/oauth-protected-resource/notes")).status).toBe(200);
    const refused = await app.request("/notes/list");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain("resource_metadata=");
    const ok = await app.request("/notes/list", { headers: { authorization: `Bearer ${await accessToken(NOTES, "notes:read")}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { sub: string }).sub).toMatch(/^usr_/);
  });
});
