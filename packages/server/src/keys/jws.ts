import { constants, createPrivateKey, type JsonWebKey, type KeyObject, sign } from "node:crypto";
import type { JWK } from "jose";
import type { SigningAlgorithm } from "./algorithms.js";

/** A private signing key as node:crypto uses it, with the JWS `alg` it signs for. */
export interface NodeSigningKey {
  alg: SigningAlgorithm;
  key: KeyObject;
}

/** Imports a private JWK once, so each signature skips the WebCrypto key and job-queue overhead. */
export function importNodeSigningKey(privateJwk: JWK, alg: SigningAlgorithm): NodeSigningKey {
  return { alg, key: createPrivateKey({ key: privateJwk as JsonWebKey, format: "jwk" }) };
}

type SignatureCallback = (error: Error | null, signature: Buffer) => void;

/**
 * The raw JWS signature of `input` (RFC 7518 §3: ECDSA as R||S, RSASSA-PSS with a 32-byte salt; RFC 8037
 * Ed25519), computed on libuv's thread pool: the private-key operation is most of a token request's CPU,
 * and off the event loop it overlaps with the next requests' parsing and storage instead of queueing them.
 * Password checks take at most two of the pool's four threads (crypto/password.ts), so a burst of
 * sign-ins does not hold token signatures up.
 */
function signature(signer: NodeSigningKey, input: Buffer, done: SignatureCallback): void {
  switch (signer.alg) {
    case "ES256":
      sign("sha256", input, { key: signer.key, dsaEncoding: "ieee-p1363" }, done);
      return;
    case "RS256":
      sign("sha256", input, signer.key, done);
      return;
    case "PS256":
      sign("sha256", input, { key: signer.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, done);
      return;
    case "EdDSA":
      sign(null, input, signer.key, done);
      return;
  }
}

/** A compact JWS (RFC 7515 §7.1) of a JSON header and payload; the same bytes jose's SignJWT produces for them. */
export function signCompactJws(signer: NodeSigningKey, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return new Promise((resolve, reject) => {
    signature(signer, Buffer.from(input), (error, signed) => (error ? reject(error) : resolve(`${input}.${signed.toString("base64url")}`)));
  });
}
