import { createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { generateSigningKey, SIGNING_ALGORITHMS } from "../src/keys/algorithms.js";
import { importNodeSigningKey, signCompactJws } from "../src/keys/jws.js";

const header = (alg: string, kid: string) => ({ alg, kid, typ: "at+jwt" });
const payload = {
  client_id: "c1",
  scope: "notes:read",
  iss: "https://as.example",
  sub: "c1",
  aud: "https://api.example",
  iat: 1_800_000_000,
  exp: 4_000_000_000,
  jti: "at_1",
};

describe("RFC 7515 compact JWS signed with node:crypto", () => {
  for (const alg of SIGNING_ALGORITHMS) {
    it(`${alg}: jose verifies the token and reads back the exact header and claims`, async () => {
      const key = await generateSigningKey(alg);
      const token = signCompactJws(importNodeSigningKey(key.privateJwk, alg), header(alg, key.kid), payload);
      const verified = await jwtVerify(token, createLocalJWKSet({ keys: [key.publicJwk] }), {
        algorithms: [alg],
        typ: "at+jwt",
        issuer: payload.iss,
        audience: payload.aud,
      });
      expect(verified.protectedHeader).toEqual(header(alg, key.kid));
      expect(verified.payload).toEqual(payload);
      expect(decodeProtectedHeader(token)).toEqual(header(alg, key.kid));
    });

    it(`${alg}: a token signed by another key of the same algorithm does not verify`, async () => {
      const key = await generateSigningKey(alg);
      const other = await generateSigningKey(alg);
      const token = signCompactJws(importNodeSigningKey(other.privateJwk, alg), header(alg, key.kid), payload);
      await expect(jwtVerify(token, createLocalJWKSet({ keys: [key.publicJwk] }), { algorithms: [alg] })).rejects.toMatchObject({
        code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
      });
    });
  }

  // RSASSA-PKCS1-v1_5 and Ed25519 signatures are deterministic: the whole token must be jose's, byte for byte.
  for (const alg of ["RS256", "EdDSA"] as const) {
    it(`${alg}: the token is byte for byte what jose's SignJWT produces`, async () => {
      const key = await generateSigningKey(alg);
      const { iss, sub, aud, iat, exp, jti, ...claims } = payload;
      const fromJose = await new SignJWT(claims)
        .setProtectedHeader(header(alg, key.kid))
        .setIssuer(iss)
        .setSubject(sub)
        .setAudience(aud)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti(jti)
        .sign(await importJWK(key.privateJwk, alg));
      expect(signCompactJws(importNodeSigningKey(key.privateJwk, alg), header(alg, key.kid), payload)).toBe(fromJose);
    });
  }

  it("ES256 signatures are 64 bytes R||S (RFC 7518 §3.4), not DER", async () => {
    const key = await generateSigningKey("ES256");
    const token = signCompactJws(importNodeSigningKey(key.privateJwk, "ES256"), header("ES256", key.kid), payload);
    expect(Buffer.from(token.split(".")[2] ?? "", "base64url")).toHaveLength(64);
  });
});
