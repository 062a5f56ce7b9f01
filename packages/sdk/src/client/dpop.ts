import { randomUUID } from "node:crypto";
import { accessTokenHash, dpopHtu } from "@ward/core";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/** A DPoP key pair (RFC 9449): the private key signs proofs, the public JWK goes in each proof's header. */
export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key, and `dpop_jkt` on /authorize. */
  thumbprint: string;
  alg: "ES256";
}

export async function createDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk), alg: "ES256" };
}

export { dpopHtu };

/**
 * A DPoP proof JWT (RFC 9449 §4.2): typ dpop+jwt, the public jwk, a fresh jti, iat, htm, htu, and
 * with an access token its hash `ath`; `nonce` when the server asked for one.
 */
export async function dpopProof(
  key: DpopKey,
  request: { method: string; url: string; accessToken?: string; nonce?: string; now?: number },
): Promise<string> {
  const claims: Record<string, unknown> = { htm: request.method.toUpperCase(), htu: dpopHtu(request.url), jti: randomUUID() };
  if (request.accessToken) claims.ath = accessTokenHash(request.accessToken);
  if (request.nonce) claims.nonce = request.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: "dpop+jwt", jwk: key.publicJwk })
    .setIssuedAt(Math.floor((request.now ?? Date.now()) / 1000))
    .sign(key.privateKey);
}

/** The nonce a server asks for (RFC 9449 §8/§9): a 400/401 `use_dpop_nonce` with a DPoP-Nonce header; undefined otherwise. */
export async function requestedNonce(response: Response): Promise<string | undefined> {
  const nonce = response.headers.get("dpop-nonce");
  if (!nonce || (response.status !== 400 && response.status !== 401)) return undefined;
  const challenge = response.headers.get("www-authenticate") ?? "";
  if (challenge.includes("use_dpop_nonce")) return nonce;
  const body = (await response
    .clone()
    .json()
    .catch(() => ({}))) as { error?: string };
  return body.error === "use_dpop_nonce" ? nonce : undefined;
}

/**
 * fetch with a DPoP proof, retried once with the server's nonce when it answers use_dpop_nonce; the
 * last nonce is remembered for the next call to the same origin.
 */
export function dpopFetch(key: DpopKey): (url: string, init?: RequestInit & { accessToken?: string }) => Promise<Response> {
  const nonces = new Map<string, string>();
  return async (url, init = {}) => {
    const method = init.method ?? "GET";
    const origin = new URL(url).origin;
    const send = async (nonce: string | undefined) => {
      const headers = new Headers(init.headers);
      headers.set("DPoP", await dpopProof(key, { method, url, accessToken: init.accessToken, nonce }));
      if (init.accessToken) headers.set("Authorization", `DPoP ${init.accessToken}`);
      const response = await fetch(url, { ...init, method, headers });
      const next = response.headers.get("dpop-nonce");
      if (next) nonces.set(origin, next);
      return response;
    };
    const first = await send(nonces.get(origin));
    const nonce = await requestedNonce(first);
    return nonce ? send(nonce) : first;
  };
}
