import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { addressProblem, OutboundFetchError, outboundGet, type ResolveHost } from "@ward/core";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { authorizeUrl, seedFlowFixtures, signInAndConsent, verifierAndChallenge } from "./support/flow.js";

/** A loopback HTTP server whose handler each test sets. */
let handler: (path: string, res: import("node:http").ServerResponse) => void = (_, res) => res.end("{}");
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => handler(req.url ?? "/", res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A resolver that records what it was asked and answers from a table; nothing goes to real DNS. */
function fakeResolver(table: Record<string, string[]>): ResolveHost & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    return (table[hostname] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const refusal = async (promise: Promise<unknown>): Promise<string> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundFetchError);
  return (error as Error).message;
};

const options = { maxBytes: 1024, timeoutMs: 1000, allowLoopback: true };

describe("outbound fetch rules (DESIGN: https only, public addresses, no redirects, size and time limits)", () => {
  it.each([
    ["10.0.0.1"],
    ["172.16.5.4"],
    ["192.168.1.1"],
    ["169.254.169.254"],
    ["100.64.0.1"],
    ["0.0.0.0"],
    ["224.0.0.1"],
    ["fe80::1"],
    ["fc00::1"],
    ["::ffff:10.0.0.1"],
    ["::"],
  ])("refuses %s (private, link-local, shared, reserved or multicast)", (address) => {
    expect(addressProblem(address, true)).toMatch(/private, loopback, link-local or reserved/);
  });

  it("allows public addresses, and loopback only in development", () => {
    expect(addressProblem("93.184.216.34", false)).toBeUndefined();
    expect(addressProblem("2606:4700::1111", false)).toBeUndefined();
    expect(addressProblem("127.0.0.1", false)).toBeDefined();
    expect(addressProblem("::1", false)).toBeDefined();
    expect(addressProblem("127.0.0.1", true)).toBeUndefined();
  });

  it("refuses http off loopback before resolving anything", async () => {
    const resolve = fakeResolver({ "example.com": ["93.184.216.34"] });
    expect(await refusal(outboundGet("http://example.com/jwks", { ...options, resolve }))).toContain("only https URLs are fetched");
    expect(resolve.asked).toEqual([]);
  });

  it("refuses a host name that resolves to a private address (checked when connecting: no request is sent)", async () => {
    const resolve = fakeResolver({ "internal.example.com": ["93.184.216.34", "10.1.2.3"] });
    expect(await refusal(outboundGet("https://internal.example.com/jwks", { ...options, resolve }))).toContain("10.1.2.3 is a private");
    expect(resolve.asked).toEqual(["internal.example.com"]);
  });

  it("refuses IP literals in private ranges without resolving, and names without addresses", async () => {
    const resolve = fakeResolver({});
    expect(await refusal(outboundGet("https://169.254.169.254/latest/meta-data", { ...options, resolve }))).toContain("169.254.169.254");
    expect(await refusal(outboundGet("https://[fd00::1]/x", { ...options, resolve }))).toContain("fd00::1");
    expect(await refusal(outboundGet("https://nowhere.example.com/x", { ...options, resolve }))).toContain("has no address");
    expect(resolve.asked).toEqual(["nowhere.example.com"]);
  });

  it("refuses loopback in production mode, and URLs with credentials", async () => {
    expect(await refusal(outboundGet(`${base}/`, { ...options, allowLoopback: false }))).toContain("only https");
    expect(await refusal(outboundGet("https://user:pw@example.com/", options))).toContain("credentials");
  });

  it("does not follow redirects", async () => {
    handler = (_, res) => {
      res.writeHead(302, { location: "http://169.254.169.254/" });
      res.end();
    };
    expect(await refusal(outboundGet(`${base}/moved`, options))).toBe(
      "it answered 302 redirecting to http://169.254.169.254/; redirects are not followed",
    );
  });

  it("stops reading past the size limit, declared or not", async () => {
    handler = (_, res) => res.end("x".repeat(2048));
    expect(await refusal(outboundGet(`${base}/big`, options))).toContain("more than the 1024 allowed");
    handler = (_, res) => {
      res.writeHead(200, { "transfer-encoding": "chunked" });
      res.write("x".repeat(800));
      res.end("y".repeat(800));
    };
    expect(await refusal(outboundGet(`${base}/chunked`, options))).toContain("more than the 1024 bytes allowed");
  });

  it("gives up after the time limit", async () => {
    handler = (_, res) => {
      setTimeout(() => res.end("{}"), 1500);
    };
    expect(await refusal(outboundGet(`${base}/slow`, { ...options, timeoutMs: 200 }))).toMatch(/within 200 ms/);
  });

  it("returns status, headers and body of an allowed answer", async () => {
    handler = (_, res) => {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=120" });
      res.end('{"keys":[]}');
    };
    const response = await outboundGet(`${base}/ok`, options);
    expect(response.status).toBe(200);
    expect(response.headers["cache-control"]).toBe("max-age=120");
    expect(response.body.toString()).toBe('{"keys":[]}');
  });
});

describe("private_key_jwt with keys at a jwks_uri (RFC 7523 §2.2, RFC 7591 jwks_uri)", () => {
  /** The server's clock runs this far ahead (to pass the re-fetch rate limit without waiting). */
  let skewMs = 0;
  const t = useTestWard({}, { now: () => Date.now() + skewMs });
  let as: oauth.AuthorizationServer;
  let published: JWK[] = [];
  let fetches = 0;

  beforeAll(async () => {
    await seedFlowFixtures(t);
    as = await oauth.processDiscoveryResponse(
      new URL(t.publicUrl),
      await oauth.discoveryRequest(new URL(t.publicUrl), { [oauth.allowInsecureRequests]: true }),
    );
  });

  async function keyPair(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
  }

  async function redeem(clientId: string, privateKey: CryptoKey, kid: string) {
    const { verifier, challenge } = verifierAndChallenge();
    const page = await signInAndConsent(
      new TestBrowser(t.publicUrl),
      authorizeUrl(t, {
        client_id: clientId,
        redirect_uri: "https://jwt.example.test/cb",
        response_type: "code",
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
    );
    const params = oauth.validateAuthResponse(as, { client_id: clientId }, new URL(page.left as string), oauth.expectNoState);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      { client_id: clientId },
      oauth.PrivateKeyJwt({ key: privateKey, kid }),
      params,
      "https://jwt.example.test/cb",
      verifier,
      { [oauth.allowInsecureRequests]: true },
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("fetches the client's keys, caches them, and on an unknown kid re-fetches at most every 30 seconds", async () => {
    handler = (_, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=3600" });
      res.end(JSON.stringify({ keys: published }));
    };
    const first = await keyPair("k1");
    published = [first.jwk];
    const created = await t.admin("/admin/v1/clients", {
      body: {
        client_id: "jwks-uri-app",
        redirect_uris: ["https://jwt.example.test/cb"],
        token_endpoint_auth_method: "private_key_jwt",
        jwks_uri: `${base}/jwks`,
      },
    });
    expect(created.status).toBe(201);
    const firstAnswer = await redeem("jwks-uri-app", first.privateKey, "k1");
    expect(firstAnswer.status, JSON.stringify(firstAnswer.body)).toBe(200);
    expect((await redeem("jwks-uri-app", first.privateKey, "k1")).status).toBe(200);
    expect(fetches).toBe(1);
    const second = await keyPair("k2");
    published = [first.jwk, second.jwk];
    const tooSoon = await redeem("jwks-uri-app", second.privateKey, "k2");
    expect(tooSoon.body.code).toBe("client_assertion_invalid");
    expect(tooSoon.body.error_description).toContain(`no key in ${base}/jwks matches its kid / alg`);
    expect(fetches).toBe(1);
    skewMs = 31_000;
    expect((await redeem("jwks-uri-app", second.privateKey, "k2")).status).toBe(200);
    expect(fetches).toBe(2);
  });

  it("names the jwks_uri and what went wrong when the keys cannot be fetched", async () => {
    handler = (_, res) => {
      res.writeHead(302, { location: "https://elsewhere.example/jwks" });
      res.end();
    };
    const pair = await keyPair("k3");
    const created = await t.admin("/admin/v1/clients", {
      body: {
        client_id: "broken-jwks-app",
        redirect_uris: ["https://jwt.example.test/cb"],
        token_endpoint_auth_method: "private_key_jwt",
        jwks_uri: `${base}/moved-jwks`,
      },
    });
    expect(created.status).toBe(201);
    const answer = await redeem("broken-jwks-app", pair.privateKey, "k3");
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe("client_assertion_invalid");
    expect(answer.body.error_description).toContain(`its jwks_uri ${base}/moved-jwks could not be used: it answered 302`);
  });
});
