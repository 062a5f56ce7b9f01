import { createHash } from "node:crypto";
import { WardError } from "@ward/core";
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWTPayload, jwtVerify } from "jose";
import { dpopHtu } from "./client/dpop.js";
import type { DpopNonces } from "./dpop-nonce.js";
import type { ReplayStore } from "./replay-store.js";

export const DPOP_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"] as const;

export interface DpopCheck {
  proof: string;
  /** The request method. */
  method: string;
  /** The request URL as clients address it (its public origin): htu must equal it, query and fragment aside. */
  url: string;
  accessToken: string;
  /** The token's cnf.jkt. */
  jkt: string;
  replay: ReplayStore;
  /** Seconds a proof's iat may differ from the clock (default 60). */
  window?: number;
  /** When set, proofs must carry one of its nonces (RFC 9449 §9); otherwise dpop_nonce_required. */
  nonces?: DpopNonces | undefined;
  now?: () => number;
}

/**
 * RFC 9449 §4.3 and §7.1 on a resource server: a well-formed proof (typ dpop+jwt, an accepted
 * asymmetric alg, a public jwk that verifies it), htm and htu of this request, iat within the window,
 * ath = hash of the access token, the key the token is bound to, and a jti never seen before.
 */
export async function verifyDpopProof(check: DpopCheck): Promise<void> {
  const invalid = (reason: string) => new WardError("dpop_proof_invalid", { reason });
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(check.proof);
  } catch {
    throw invalid("the DPoP header is not a JWT");
  }
  if (header.typ !== "dpop+jwt") throw invalid(`its typ is ${JSON.stringify(header.typ ?? null)}, not "dpop+jwt"`);
  if (!DPOP_ALGORITHMS.includes(header.alg as (typeof DPOP_ALGORITHMS)[number])) {
    throw invalid(`its alg ${JSON.stringify(header.alg)} is not one of ${DPOP_ALGORITHMS.join(", ")}`);
  }
  if (!header.jwk || "d" in header.jwk) throw invalid("its header must carry the public jwk (and never a private key)");
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(check.proof, EmbeddedJWK, { algorithms: [...DPOP_ALGORITHMS], typ: "dpop+jwt" }));
  } catch (error) {
    throw invalid(`its signature does not verify with its jwk (${(error as Error).message})`);
  }
  const { htm, htu, iat, jti, ath, nonce } = payload as {
    htm?: unknown;
    htu?: unknown;
    iat?: unknown;
    jti?: unknown;
    ath?: unknown;
    nonce?: unknown;
  };
  if (typeof jti !== "string" || typeof htm !== "string" || typeof htu !== "string" || typeof iat !== "number") {
    throw invalid("it needs jti, htm, htu and iat");
  }
  if (htm !== check.method.toUpperCase())
    throw new WardError("dpop_htm_mismatch", { received: JSON.stringify(htm), expected: check.method.toUpperCase() });
  let expected: string;
  try {
    expected = dpopHtu(check.url);
  } catch {
    throw invalid(`the request URL ${JSON.stringify(check.url.slice(0, 200))} cannot be compared`);
  }
  let received: string;
  try {
    received = dpopHtu(htu);
  } catch {
    throw new WardError("dpop_htu_mismatch", { received: JSON.stringify(htu), expected });
  }
  if (received !== expected) throw new WardError("dpop_htu_mismatch", { received: JSON.stringify(htu), expected });
  if (jti.length > 256) throw invalid(`its jti has ${jti.length} characters (at most 256)`);
  const window = check.window ?? 60;
  const nowMs = (check.now ?? Date.now)();
  const skew = iat - nowMs / 1000;
  if (Math.abs(skew) > window) throw new WardError("dpop_iat_out_of_range", { skew: Math.round(skew), window });
  const expectedAth = createHash("sha256").update(check.accessToken, "ascii").digest("base64url");
  if (ath !== expectedAth)
    throw invalid(ath === undefined ? "it has no ath (the hash of the access token)" : "its ath is not the hash of this access token");
  if (check.nonces && !check.nonces.accepts(nonce)) {
    throw new WardError("dpop_nonce_required", { reason: nonce === undefined ? "" : " (the proof's nonce is not a current one)" });
  }
  const thumbprint = await calculateJwkThumbprint(header.jwk);
  if (thumbprint !== check.jkt)
    throw new WardError("dpop_key_mismatch", { subject: "The access token", expected: check.jkt, received: thumbprint });
  // Remember the jti as long as the proof stays acceptable: until iat + window (plus a second of margin).
  const rememberMs = Math.max(1000, (iat + window) * 1000 - nowMs + 1000);
  if (!(await check.replay.claim(`${thumbprint}:${jti}`, rememberMs))) {
    throw new WardError("dpop_jti_reused", { jti: JSON.stringify(jti), age: `less than ${window * 2} seconds` });
  }
}
