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

/** The raw JWS signature of `input` (RFC 7518 §3: ECDSA as R||S, RSASSA-PSS with a 32-byte salt; RFC 8037 Ed25519). */
function signature(signer: NodeSigningKey, input: Buffer): Buffer {
  switch (signer.alg) {
    case "ES256":
      return sign("sha256", input, { key: signer.key, dsaEncoding: "ieee-p1363" });
    case "RS256":
      return sign("sha256", input, signer.key);
    case "PS256":
      return sign("sha256", input, { key: signer.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case "EdDSA":
      return sign(null, input, signer.key);
  }
}

/** A compact JWS (RFC 7515 §7.1) of a JSON header and payload; the same bytes jose's SignJWT produces for them. */
export function signCompactJws(signer: NodeSigningKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${input}.${signature(signer, Buffer.from(input)).toString("base64url")}`;
}
