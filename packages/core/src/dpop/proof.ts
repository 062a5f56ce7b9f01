import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWTPayload, jwtVerify } from "jose";
import { WardError } from "../errors/ward-error.js";
import { accessTokenHash, dpopHtu } from "./htu.js";
import type { ReplayStore } from "./replay.js";

/** Asymmetric algorithms accepted in DPoP proofs (RFC 9449 §4.2: never none, never a MAC). */
export const DPOP_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"] as const;

/** JWK members that only private (or symmetric) keys have. */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

export interface DpopCheck {
  /** The DPoP header value (several headers arrive joined by commas: refused). */
  proof: string;
  /** The request method. */
  method: string;
  /** The URL clients address (the public origin + path, never derived from Host): htu must equal it, query and fragment aside. */
  url: string;
  /** The access token presented with the proof: its hash must be the proof's ath. Omit at the token endpoint. */
  accessToken?: string | undefined;
  /** The key the token is bound to (cnf.jkt): the proof must be signed by it. */
  jkt?: string | undefined;
  replay: ReplayStore;
  /** Seconds a proof's iat may differ from the clock (default 60). */
  window?: number | undefined;
  /** When set, proofs must carry one of its nonces (RFC 9449 §9); otherwise dpop_nonce_required. */
  nonces?: { accepts(nonce: unknown): boolean } | undefined;
  now?: (() => number) | undefined;
}

interface ProofClaims {
  htm?: unknown;
  htu?: unknown;
  iat?: unknown;
  jti?: unknown;
  ath?: unknown;
  nonce?: unknown;
}

/** typ, alg and a public jwk (RFC 9449 §4.3 steps 1-7, before any signature work). */
function checkHeader(proof: string): ReturnType<typeof decodeProtectedHeader> & { jwk: Record<string, unknown> } {
  if (proof.includes(",")) throw new WardError("dpop_proof_multiple", { count: proof.split(",").length });
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new WardError("dpop_proof_invalid", { reason: "the DPoP header is not a JWT" });
  }
  if (header.typ !== "dpop+jwt")
    throw new WardError("dpop_proof_invalid", { reason: `its typ is ${JSON.stringify(header.typ ?? null)}, not "dpop+jwt"` });
  if (!DPOP_ALGORITHMS.includes(header.alg as (typeof DPOP_ALGORITHMS)[number])) {
    throw new WardError("dpop_proof_alg_unsupported", {
      received: JSON.stringify(header.alg ?? null),
      supported: DPOP_ALGORITHMS.join(", "),
    });
  }
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (!jwk || typeof jwk !== "object") throw new WardError("dpop_proof_invalid", { reason: "its header has no jwk (the public key)" });
  const privateMembers = PRIVATE_JWK_MEMBERS.filter((member) => member in jwk);
  if (privateMembers.length > 0) throw new WardError("dpop_proof_private_key", { members: privateMembers.join(", ") });
  return header as ReturnType<typeof decodeProtectedHeader> & { jwk: Record<string, unknown> };
}

function checkTarget(check: DpopCheck, htm: string, htu: string): void {
  const method = check.method.toUpperCase();
  if (htm !== method) throw new WardError("dpop_htm_mismatch", { received: JSON.stringify(htm), expected: method });
  let expected: string;
  try {
    expected = dpopHtu(check.url);
  } catch {
    throw new WardError("dpop_proof_invalid", { reason: `the request URL ${JSON.stringify(check.url.slice(0, 200))} cannot be compared` });
  }
  let received: string | undefined;
  try {
    received = dpopHtu(htu);
  } catch {
    received = undefined;
  }
  if (received !== expected) throw new WardError("dpop_htu_mismatch", { received: JSON.stringify(htu.slice(0, 300)), expected });
}

/**
 * RFC 9449 §4.3 (and §7.1 with an access token): a well-formed proof (typ dpop+jwt, an accepted
 * asymmetric alg, a public jwk that verifies it), htm and htu of this request, iat within the window,
 * ath = hash of the access token when one is presented, the current nonce when required, the key the
 * token is bound to, and a jti never seen before. Returns the proof key's RFC 7638 thumbprint.
 * The same checks run in Ward's token endpoint, its userinfo endpoint and the resource-server SDK.
 */
export async function verifyDpopProof(check: DpopCheck): Promise<{ jkt: string }> {
  const header = checkHeader(check.proof);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(check.proof, EmbeddedJWK, { algorithms: [...DPOP_ALGORITHMS], typ: "dpop+jwt" }));
  } catch (error) {
    throw new WardError("dpop_proof_invalid", { reason: `its signature does not verify with its jwk (${(error as Error).message})` });
  }
  const { htm, htu, iat, jti, ath, nonce } = payload as ProofClaims;
  if (typeof jti !== "string" || typeof htm !== "string" || typeof htu !== "string" || typeof iat !== "number") {
    throw new WardError("dpop_proof_invalid", { reason: "it needs jti, htm, htu and iat" });
  }
  checkTarget(check, htm, htu);
  if (jti.length > 256) throw new WardError("dpop_proof_invalid", { reason: `its jti has ${jti.length} characters (at most 256)` });
  const window = check.window ?? 60;
  const nowMs = (check.now ?? Date.now)();
  const skew = iat - nowMs / 1000;
  if (Math.abs(skew) > window) throw new WardError("dpop_iat_out_of_range", { skew: Math.round(skew), window });
  if (check.accessToken !== undefined && ath !== accessTokenHash(check.accessToken)) {
    const reason = ath === undefined ? "it has no ath (the hash of the access token)" : "its ath is not the hash of this access token";
    throw new WardError("dpop_proof_invalid", { reason });
  }
  if (check.nonces && !check.nonces.accepts(nonce)) {
    throw new WardError("dpop_nonce_required", { reason: nonce === undefined ? "" : " (the proof's nonce is not a current one)" });
  }
  const thumbprint = await calculateJwkThumbprint(header.jwk as Parameters<typeof calculateJwkThumbprint>[0]);
  if (check.jkt !== undefined && thumbprint !== check.jkt)
    throw new WardError("dpop_key_mismatch", { subject: "The access token", expected: check.jkt, received: thumbprint });
  // Remember the jti as long as the proof stays acceptable: until iat + window (plus a second of margin).
  const rememberMs = Math.max(1000, (iat + window) * 1000 - nowMs + 1000);
  if (!(await check.replay.claim(`${thumbprint}:${jti}`, rememberMs))) {
    throw new WardError("dpop_jti_reused", { jti: JSON.stringify(jti.slice(0, 80)), age: `less than ${window * 2} seconds` });
  }
  return { jkt: thumbprint };
}
