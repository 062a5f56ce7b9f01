import { createHmac } from "node:crypto";
import { WardError } from "@ward/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier, metadataUrl, protectedResourceMetadataPath, protectedResourceMetadataUrl, wwwAuthenticate } from "../src/index.js";
import { FakeIssuer, type SigningKey } from "./fake-issuer.js";

const RESOURCE = "https://api.example.test/notes";
const issuer = new FakeIssuer();
let key: SigningKey;

beforeAll(async () => {
  await issuer.start();
  key = await issuer.addKey("k1");
});
afterAll(() => issuer.stop());

const verifier = () => createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true });

async function refusal(promise: Promise<unknown>): Promise<WardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WardError);
  return error as WardError;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("createVerifier: RFC 9068 access tokens", () => {
  it("accepts a token of the issuer for this resource and returns its claims with the scopes as a list", async () => {
    const claims = await verifier().verify(await issuer.token(key, { scope: "notes:read notes:write" }));
    expect(claims).toMatchObject({
      iss: issuer.issuer,
      aud: RESOURCE,
      client_id: "agent",
      sub: "usr_1",
      scopes: ["notes:read", "notes:write"],
    });
  });

  it("refuses alg none (token_algorithm_refused)", async () => {
    const token = `${b64url({ alg: "none", typ: "at+jwt", kid: "k1" })}.${b64url({ iss: issuer.issuer, aud: RESOURCE })}.`;
    const error = await refusal(verifier().verify(token));
    expect(error.code).toBe("token_algorithm_refused");
    expect(error.message).toContain('"none"');
  });

  it("refuses HS256 signed with the issuer's public key as the HMAC secret (key confusion)", async () => {
    const head = `${b64url({ alg: "HS256", typ: "at+jwt", kid: "k1" })}.${b64url({ iss: issuer.issuer, aud: RESOURCE, exp: 4102444800 })}`;
    const signature = createHmac("sha256", JSON.stringify(key.jwk)).update(head).digest("base64url");
    const error = await refusal(
      createVerifier({ issuer: issuer.issuer, resource: RESOURCE, allowInsecureLoopback: true, algorithms: ["HS256", "ES256"] }).verify(
        `${head}.${signature}`,
      ),
    );
    expect(error.code).toBe("token_algorithm_refused");
    expect(error.message).toContain("accepts ES256");
  });

  it("refuses an expired token, naming when it expired", async () => {
    const error = await refusal(verifier().verify(await issuer.token(key, { exp: Math.floor(Date.now() / 1000) - 120 })));
    expect(error.code).toBe("token_expired");
    expect(error.status).toBe(401);
  });

  it("refuses a token that is not valid yet (nbf beyond the tolerance)", async () => {
    const error = await refusal(verifier().verify(await issuer.token(key, { nbf: Math.floor(Date.now() / 1000) + 600 })));
    expect(error.code).toBe("token_not_yet_valid");
    expect(error.message).toContain("tolerance 30 seconds");
  });

  it("refuses another issuer's token (token_issuer_mismatch) and another resource's (token_audience_mismatch, both named)", async () => {
    expect((await refusal(verifier().verify(await issuer.token(key, { iss: "https://evil.example" })))).code).toBe("token_issuer_mismatch");
    const error = await refusal(verifier().verify(await issuer.token(key, { aud: "https://api.example.test/other" })));
    expect(error.code).toBe("token_audience_mismatch");
    expect(error.message).toBe(`The token's aud is "https://api.example.test/other", but this resource is ${RESOURCE}.`);
  });

  it("refuses an ID token or any token whose typ is not at+jwt (token_type_confusion)", async () => {
    expect((await refusal(verifier().verify(await issuer.token(key, {}, { typ: "JWT" })))).code).toBe("token_type_confusion");
  });

  it("refuses garbage and a tampered signature (access_token_invalid)", async () => {
    expect((await refusal(verifier().verify("not-a-jwt"))).code).toBe("access_token_invalid");
    const token = await issuer.token(key);
    const tampered = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(86)}`;
    expect((await refusal(verifier().verify(tampered))).code).toBe("access_token_invalid");
  });

  it("accepts a token signed by a key added after the keys were cached: one re-fetch, then cached", async () => {
    const v = verifier();
    await v.verify(await issuer.token(key));
    const before = issuer.jwksFetches;
    const rotated = await issuer.addKey("k2");
    await v.verify(await issuer.token(rotated));
    expect(issuer.jwksFetches).toBe(before + 1);
    await v.verify(await issuer.token(rotated));
    expect(issuer.jwksFetches).toBe(before + 1);
  });

  it("re-fetches at most once per 10 seconds for unknown kids (a flood cannot hammer the issuer)", async () => {
    const v = verifier();
    await v.verify(await issuer.token(key));
    const before = issuer.jwksFetches;
    const stranger = { ...key, kid: "never-published" };
    const errors = await Promise.all(Array.from({ length: 20 }, async () => refusal(v.verify(await issuer.token(stranger)))));
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(["token_signing_key_unknown"]));
    expect(issuer.jwksFetches - before).toBeLessThanOrEqual(1);
  });

  it("refuses an issuer whose metadata names another issuer (issuer_metadata_unavailable, 503)", async () => {
    const other = await new FakeIssuer().start();
    other.metadataIssuer = "https://not-it.example";
    const otherKey = await other.addKey("o1");
    try {
      const error = await refusal(
        createVerifier({ issuer: other.issuer, resource: RESOURCE, allowInsecureLoopback: true }).verify(await other.token(otherKey)),
      );
      expect(error.code).toBe("issuer_metadata_unavailable");
      expect(error.status).toBe(503);
      expect(error.message).toContain("byte for byte");
    } finally {
      await other.stop();
    }
  });

  it("does not fetch an http issuer off loopback, nor loopback without allowInsecureLoopback", async () => {
    const error = await refusal(createVerifier({ issuer: issuer.issuer, resource: RESOURCE }).verify(await issuer.token(key)));
    expect(error.code).toBe("issuer_metadata_unavailable");
    expect(error.message).toContain("only https URLs are fetched");
  });
});

describe("metadata locations (RFC 8414 §3.1, RFC 9728 §3.1) and challenges (RFC 6750 §3)", () => {
  it("inserts the well-known segment before the path", () => {
    expect(metadataUrl("https://as.example/tenant/a")).toBe("https://as.example/.well-known/oauth-authorization-server/tenant/a");
    expect(metadataUrl("https://as.example")).toBe("https://as.example/.well-known/oauth-authorization-server");
    expect(protectedResourceMetadataPath("https://api.example/mcp")).toBe("/.well-known/oauth-protected-resource/mcp");
    expect(protectedResourceMetadataUrl("https://api.example/")).toBe("https://api.example/.well-known/oauth-protected-resource");
  });

  it("keeps challenge values in RFC 6750's character set (quotes and backslashes become ') and short, and omits error when no token was sent", () => {
    const missing = new WardError("bearer_token_missing", { resource: RESOURCE });
    expect(wwwAuthenticate(missing, { resourceMetadata: "https://api.example/.well-known/oauth-protected-resource" })).toBe(
      'Bearer resource_metadata="https://api.example/.well-known/oauth-protected-resource"',
    );
    const mismatch = new WardError("token_audience_mismatch", { received: '"a\\"b"', expected: RESOURCE });
    expect(wwwAuthenticate(mismatch)).toContain(`error_description="The token's aud is 'a''b', but`);
    const long = new WardError("token_audience_mismatch", { received: "x".repeat(5000), expected: RESOURCE });
    expect(wwwAuthenticate(long).length).toBeLessThan(400);
    const scope = new WardError("insufficient_scope", { required: "notes:write", granted: "notes:read" });
    expect(wwwAuthenticate(scope)).toContain('scope="notes:write"');
  });
});
