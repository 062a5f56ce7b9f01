import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDpopKey, createVerifier, type DpopKey, dpopProof, protectNode, RedisReplayStore, type Verifier } from "../src/index.js";
import { FakeIssuer, type SigningKey } from "./fake-issuer.js";

const RESOURCE = "https://api.example.test/notes";
const issuer = new FakeIssuer();
let signing: SigningKey;
let dpopKey: DpopKey;
let server: Server;
let base: string;
let verifier: Verifier;

/** A resource server on loopback whose public identity is RESOURCE; `trusting` also honours X-Forwarded-*. */
function resourceServer(trustProxy: boolean) {
  return createServer(
    protectNode({ verifier, trustProxy }, (req, res) => {
      res.end(JSON.stringify({ sub: req.auth.extra.claims.sub }));
    }),
  );
}

beforeAll(async () => {
  await issuer.start();
  signing = await issuer.addKey("k1");
  dpopKey = await createDpopKey();
  verifier = createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true });
  server = resourceServer(false);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await issuer.stop();
});

const boundToken = () => issuer.token(signing, { cnf: { jkt: dpopKey.thumbprint } });

async function call(path: string, headers: Record<string, string>, target = base) {
  const response = await fetch(`${target}${path}`, { headers });
  const text = await response.text();
  return {
    status: response.status,
    challenge: response.headers.get("www-authenticate") ?? "",
    nonce: response.headers.get("dpop-nonce"),
    body: text ? (JSON.parse(text) as Record<string, string>) : {},
  };
}

describe("DPoP on the resource side (RFC 9449 §7)", () => {
  it("accepts a bound token with a proof for this method and URL (htu from the configured resource, not the listener)", async () => {
    const token = await boundToken();
    const proof = await dpopProof(dpopKey, { method: "GET", url: `${RESOURCE}?page=2`, accessToken: token });
    const answer = await call("/notes?page=2", { authorization: `DPoP ${token}`, dpop: proof });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });

  it("refuses a DPoP-bound token sent as Bearer (dpop_bound_token_as_bearer), with a DPoP challenge", async () => {
    const answer = await call("/notes", { authorization: `Bearer ${await boundToken()}` });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe("dpop_bound_token_as_bearer");
    expect(answer.challenge).toMatch(/^DPoP .*error="invalid_token".*algs="ES256/);
  });

  it("refuses a bound token without a proof (dpop_proof_missing)", async () => {
    const answer = await call("/notes", { authorization: `DPoP ${await boundToken()}` });
    expect(answer.body.code).toBe("dpop_proof_missing");
    expect(answer.status).toBe(401);
  });

  it("refuses a proof made for another URL (dpop_htu_mismatch, both URLs named) and another method", async () => {
    const token = await boundToken();
    const elsewhere = await dpopProof(dpopKey, { method: "GET", url: "https://api.example.test/other", accessToken: token });
    const answer = await call("/notes", { authorization: `DPoP ${token}`, dpop: elsewhere });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe("dpop_htu_mismatch");
    expect(answer.body.error_description).toBe(
      `The proof's htu is "https://api.example.test/other", but this server sees the request at ${RESOURCE}.`,
    );
    expect(answer.challenge).toContain('error="invalid_dpop_proof"');
    const post = await dpopProof(dpopKey, { method: "POST", url: RESOURCE, accessToken: token });
    expect((await call("/notes", { authorization: `DPoP ${token}`, dpop: post })).body.code).toBe("dpop_htm_mismatch");
  });

  it("refuses a replayed proof (dpop_jti_reused)", async () => {
    const token = await boundToken();
    const proof = await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: token });
    expect((await call("/notes", { authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);
    const again = await call("/notes", { authorization: `DPoP ${token}`, dpop: proof });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe("dpop_jti_reused");
  });

  it("refuses a proof by another key, without ath, or stale (dpop_key_mismatch, dpop_proof_invalid, dpop_iat_out_of_range)", async () => {
    const token = await boundToken();
    const stranger = await dpopProof(await createDpopKey(), { method: "GET", url: RESOURCE, accessToken: token });
    expect((await call("/notes", { authorization: `DPoP ${token}`, dpop: stranger })).body.code).toBe("dpop_key_mismatch");
    const noAth = await dpopProof(dpopKey, { method: "GET", url: RESOURCE });
    const missingAth = await call("/notes", { authorization: `DPoP ${token}`, dpop: noAth });
    expect(missingAth.body.code).toBe("dpop_proof_invalid");
    expect(missingAth.body.error_description).toContain("no ath");
    const stale = await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: token, now: Date.now() - 10 * 60_000 });
    expect((await call("/notes", { authorization: `DPoP ${token}`, dpop: stale })).body.code).toBe("dpop_iat_out_of_range");
  });

  it("refuses the DPoP scheme with a token that is not bound (dpop_scheme_without_binding)", async () => {
    const token = await issuer.token(signing);
    const proof = await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: token });
    expect((await call("/notes", { authorization: `DPoP ${token}`, dpop: proof })).body.code).toBe("dpop_scheme_without_binding");
  });
});

describe("DPoP behind a reverse proxy", () => {
  it("without trustProxy, X-Forwarded-Host cannot choose the URL a proof is checked against", async () => {
    const token = await boundToken();
    const forged = await dpopProof(dpopKey, { method: "GET", url: "https://attacker.example/notes", accessToken: token });
    const answer = await call("/notes", {
      authorization: `DPoP ${token}`,
      dpop: forged,
      "x-forwarded-host": "attacker.example",
      "x-forwarded-proto": "https",
    });
    expect(answer.body.code).toBe("dpop_htu_mismatch");
    expect(answer.body.error_description).toContain(`sees the request at ${RESOURCE}`);
  });

  it("with trustProxy, the forwarded public host and scheme are the htu (a proxy serving another hostname)", async () => {
    const trusting = resourceServer(true);
    await new Promise<void>((resolve) => trusting.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(trusting.address() as AddressInfo).port}`;
    try {
      const token = await boundToken();
      const proof = await dpopProof(dpopKey, { method: "GET", url: "https://public.example.test/notes", accessToken: token });
      const headers = {
        authorization: `DPoP ${token}`,
        dpop: proof,
        "x-forwarded-host": "public.example.test",
        "x-forwarded-proto": "https",
      };
      expect((await call("/notes", headers, target)).status).toBe(200);
      const plain = await dpopProof(dpopKey, { method: "GET", url: "https://public.example.test/notes", accessToken: token });
      expect((await call("/notes", { authorization: `DPoP ${token}`, dpop: plain }, target)).body.code).toBe("dpop_htu_mismatch");
    } finally {
      trusting.closeAllConnections();
      await new Promise((resolve) => trusting.close(resolve));
    }
  });
});

describe("DPoP replay store shared through Redis (several resource-server instances)", async () => {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  const reachable = await redis.connect().then(
    () => true,
    () => false,
  );
  if (!reachable && process.env.CI === "true") throw new Error("Redis is required under CI=true (127.0.0.1:6379): .ci/run starts it");
  if (!reachable) console.log("Redis tests skipped: nothing listens on 127.0.0.1:6379");
  afterAll(() => redis.disconnect());

  it.skipIf(!reachable)("refuses a proof replayed at another instance", async () => {
    const prefix = `ward:test:${Date.now()}:`;
    const instance = () =>
      createVerifier({
        issuer: issuer.issuer,
        resource: RESOURCE,
        allowInsecureLoopback: true,
        dpop: { replayStore: new RedisReplayStore(redis, prefix) },
      });
    const [a, b] = [instance(), instance()];
    const token = await boundToken();
    const proof = await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: token });
    const request = { method: "GET", url: RESOURCE, scheme: "DPoP" as const, dpop: proof };
    await a.verify(token, request);
    const error = await b.verify(token, request).then(
      () => undefined,
      (e: unknown) => e as { code: string },
    );
    expect(error?.code).toBe("dpop_jti_reused");
  });
});

describe("server-provided DPoP nonces (RFC 9449 §9)", () => {
  it("answers a proof without a current nonce with 401 use_dpop_nonce and a DPoP-Nonce; a proof with it passes", async () => {
    const { DpopNonces } = await import("../src/index.js");
    const nonces = new DpopNonces({ secret: "shared by every instance of the API" });
    const noncing = createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true, dpop: { nonces } });
    const app = createServer(
      protectNode({ verifier: noncing }, (_req, res) => {
        res.end("{}");
      }),
    );
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    try {
      const token = await boundToken();
      const bare = await call(
        "/notes",
        { authorization: `DPoP ${token}`, dpop: await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: token }) },
        target,
      );
      expect(bare.status).toBe(401);
      expect(bare.body.code).toBe("dpop_nonce_required");
      expect(bare.challenge).toContain('error="use_dpop_nonce"');
      expect(bare.nonce).toBe(nonces.current());
      const stale = await call(
        "/notes",
        {
          authorization: `DPoP ${token}`,
          dpop: await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: token, nonce: "made-up" }),
        },
        target,
      );
      expect(stale.body.code).toBe("dpop_nonce_required");
      expect(stale.challenge).toMatch(/^DPoP /);
      const nonce = nonces.current();
      const withNonce = await call(
        "/notes",
        { authorization: `DPoP ${token}`, dpop: await dpopProof(dpopKey, { method: "GET", url: RESOURCE, accessToken: token, nonce }) },
        target,
      );
      expect(withNonce.status).toBe(200);
    } finally {
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    }
  });
});
