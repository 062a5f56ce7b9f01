import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { WardError } from "../errors/ward-error.js";
import { accessTokenHash } from "./htu.js";
import { DpopNonces } from "./nonces.js";
import { verifyDpopProof } from "./proof.js";

const URL_ = "https://as.example.com/token";
const NOW = 1_800_000_000_000;
const seen = new Set<string>();
const replay = { claim: async (key: string) => !seen.has(key) && Boolean(seen.add(key)) };

async function signed(claims: Record<string, unknown>) {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = await exportJWK(publicKey);
  const proof = await new SignJWT({ htm: "POST", htu: URL_, jti: crypto.randomUUID(), iat: NOW / 1000, ...claims })
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
    .sign(privateKey);
  return { proof, jkt: await calculateJwkThumbprint(jwk) };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: WardError) => error.code,
  );

describe("RFC 9449 §4.3 in @ward/core", () => {
  it("returns the proof key's RFC 7638 thumbprint; without an access token, ath is not required (token endpoint)", async () => {
    const { proof, jkt } = await signed({});
    expect(await verifyDpopProof({ proof, method: "POST", url: `${URL_}?x=1`, replay, now: () => NOW })).toEqual({ jkt });
  });

  it("requires ath = SHA-256 of the access token when one is presented", async () => {
    const { proof } = await signed({ ath: accessTokenHash("other-token") });
    expect(await failure(verifyDpopProof({ proof, method: "POST", url: URL_, accessToken: "the-token", replay, now: () => NOW }))).toBe(
      "dpop_proof_invalid",
    );
  });
});

describe("RFC 9449 §9 stateless nonces", () => {
  it("accepts the current and the previous period's nonce, not older ones nor another secret's", () => {
    let now = NOW;
    const nonces = new DpopNonces({ secret: "s".repeat(32), periodSeconds: 300, now: () => now });
    const first = nonces.current();
    expect(new DpopNonces({ secret: "s".repeat(32), periodSeconds: 300, now: () => now }).current()).toBe(first);
    expect(new DpopNonces({ secret: "t".repeat(32), periodSeconds: 300, now: () => now }).accepts(first)).toBe(false);
    now += 300_000;
    expect(nonces.current()).not.toBe(first);
    expect(nonces.accepts(first)).toBe(true);
    now += 300_000;
    expect(nonces.accepts(first)).toBe(false);
  });
});
