import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

export const SIGNING_ALGORITHMS = ["ES256", "RS256", "PS256", "EdDSA"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface GeneratedKey {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: JWK;
  privateJwk: JWK;
}

/** Generates a signing key pair; the kid is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<GeneratedKey> {
  const options =
    alg === "EdDSA"
      ? { crv: "Ed25519", extractable: true }
      : alg === "ES256"
        ? { extractable: true }
        : { modulusLength: 2048, extractable: true };
  const { publicKey, privateKey } = await generateKeyPair(alg, options);
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk, "sha256");
  return { kid, alg, publicJwk: { ...publicJwk, kid, alg, use: "sig" }, privateJwk: { ...privateJwk, kid, alg } };
}
