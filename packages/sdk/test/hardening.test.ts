import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wardExpress } from "../src/adapters/express.js";
import {
  createDpopKey,
  createIntrospectionVerifier,
  createVerifier,
  type DpopKey,
  dpopProof,
  protectNode,
  TokenHolder,
} from "../src/index.js";
import { FakeIssuer, type SigningKey } from "./fake-issuer.js";

/** Findings of the SDK security review, each kept fixed by a test. */
const RESOURCE = "https://api.example.test/notes";
const issuer = new FakeIssuer();
let signing: SigningKey;
let dpopKey: DpopKey;

beforeAll(async () => {
  await issuer.start();
  signing = await issuer.addKey("k1");
  dpopKey = await createDpopKey();
});
afterAll(() => issuer.stop());

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe("SDK hardening", () => {
  it("a handler failing after the headers were sent is reported and the response cut, without crashing the process", async () => {
    const reported: unknown[] = [];
    const verifier = createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true });
    const server = createServer(
      protectNode({ verifier, onError: (error) => reported.push(error) }, (_req, res) => {
        res.writeHead(200);
        res.write("partial");
        throw new Error("boom after headers");
      }),
    );
    const base = await listen(server);
    try {
      const token = await issuer.token(signing);
      await fetch(`${base}/notes`, { headers: { authorization: `Bearer ${token}` } })
        .then((r) => r.text())
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(reported).toHaveLength(1);
      const stillServing = await fetch(`${base}/notes`);
      expect(stillServing.status).toBe(401);
      expect(((await stillServing.json()) as { code: string }).code).toBe("bearer_token_missing");
    } finally {
      await close(server);
    }
  });

  it("introspection mode refuses a DPoP-bound token (cnf.jkt in the answer) sent as Bearer", async () => {
    const answer = {
      active: true,
      aud: RESOURCE,
      client_id: "agent",
      sub: "u",
      exp: Math.floor(Date.now() / 1000) + 300,
      cnf: { jkt: dpopKey.thumbprint },
    };
    let base = "";
    const as = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          req.url?.startsWith("/.well-known")
            ? { issuer: base, jwks_uri: `${base}/jwks`, introspection_endpoint: `${base}/introspect` }
            : answer,
        ),
      );
    });
    base = await listen(as);
    try {
      const verifier = createIntrospectionVerifier({
        issuer: base,
        resource: RESOURCE,
        clientId: "rs",
        clientSecret: "s",
        allowInsecureLoopback: true,
      });
      const error = await verifier
        .verify("opaque-token", { method: "GET", url: RESOURCE, scheme: "Bearer" })
        .catch((e: { code: string }) => e);
      expect((error as { code: string }).code).toBe("dpop_bound_token_as_bearer");
      const proof = await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: "opaque-token" });
      const claims = await verifier.verify("opaque-token", { method: "GET", url: RESOURCE, scheme: "DPoP", dpop: proof });
      expect(claims.client_id).toBe("agent");
    } finally {
      await close(as);
    }
  });

  it("wardExpress with toolScopes fails closed when the body was not parsed (express.json() missing)", async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true });
    const app = express();
    app.post("/mcp", wardExpress({ verifier, toolScopes: { "notes.write": ["notes:write"] } }), (_req, res) => {
      res.json({ reached: true });
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, {
        method: "POST",
        headers: { authorization: `Bearer ${await issuer.token(signing)}`, "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "notes.write" } }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe("body_malformed");
    } finally {
      await close(server);
    }
  });

  it("a proof with a future iat is remembered for as long as it stays acceptable (no replay at the window's edge)", async () => {
    let skew = 0;
    const base = Date.now();
    const verifier = createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true, now: () => base + skew });
    const token = await issuer.token(signing, { cnf: { jkt: dpopKey.thumbprint }, exp: Math.floor(base / 1000) + 3600 });
    const proof = await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: token, now: base + 59_000 });
    const request = { method: "GET", url: RESOURCE, scheme: "DPoP" as const, dpop: proof };
    await verifier.verify(token, request);
    skew = 118_000;
    const error = await verifier.verify(token, request).catch((e: { code: string }) => e);
    expect((error as { code: string }).code).toBe("dpop_jti_reused");
  });

  it("with trustProxy, only the last X-Forwarded-Host (your proxy's) counts, and only if it is a host name", async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true });
    const server = createServer(
      protectNode({ verifier, trustProxy: true }, (_req, res) => {
        res.end("{}");
      }),
    );
    const base = await listen(server);
    try {
      const token = await issuer.token(signing, { cnf: { jkt: dpopKey.thumbprint } });
      const send = async (proofUrl: string, forwardedHost: string) =>
        (
          await fetch(`${base}/notes`, {
            headers: {
              authorization: `DPoP ${token}`,
              dpop: await dpopProof(dpopKey, { method: "GET", url: proofUrl, accessToken: token }),
              "x-forwarded-host": forwardedHost,
            },
          })
        ).status;
      expect(await send("https://evil.example/notes", "evil.example, public.example.test")).toBe(401);
      expect(await send("https://public.example.test/notes", "evil.example, public.example.test")).toBe(200);
      expect(await send("https://evil.example/", "evil.example/#")).toBe(401);
      expect(await send(`${RESOURCE}`, "evil.example/#")).toBe(200);
    } finally {
      await close(server);
    }
  });

  it("TokenHolder keeps a rotated set whose persistence failed, and persists it before handing out a token", async () => {
    let calls = 0;
    let fail = true;
    const persisted: string[] = [];
    let base = "";
    const as = createServer((_req, res) => {
      calls++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ access_token: `at-${calls}`, token_type: "Bearer", expires_in: 3600, refresh_token: `rt-${calls}` }));
    });
    base = await listen(as);
    try {
      const holder = new TokenHolder({
        tokenEndpoint: `${base}/token`,
        clientId: "agent",
        allowInsecureLoopback: true,
        tokens: { access_token: "old", token_type: "Bearer", refresh_token: "rt-0", expires_at: 0 },
        onRotate: (tokens) => {
          if (fail) throw new Error("disk full");
          persisted.push(tokens.refresh_token as string);
        },
      });
      await expect(holder.accessToken()).rejects.toThrow("disk full");
      fail = false;
      expect(await holder.accessToken()).toBe("at-1");
      expect(persisted).toEqual(["rt-1"]);
      expect(calls).toBe(1);
    } finally {
      await close(as);
    }
  });

  it("answers a malformed Authorization header with 400 bearer_token_malformed, another scheme as no token (401)", async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true });
    const server = createServer(
      protectNode({ verifier }, (_req, res) => {
        res.end("{}");
      }),
    );
    const base = await listen(server);
    try {
      const answer = async (authorization: string) => {
        const response = await fetch(`${base}/notes`, { headers: { authorization } });
        return { status: response.status, code: ((await response.json()) as { code: string }).code };
      };
      expect(await answer("Bearer ")).toEqual({ status: 400, code: "bearer_token_malformed" });
      expect(await answer("Bearer two tokens")).toEqual({ status: 400, code: "bearer_token_malformed" });
      expect(await answer("Basic dXNlcjpwdw==")).toEqual({ status: 401, code: "bearer_token_missing" });
    } finally {
      await close(server);
    }
  });
});
