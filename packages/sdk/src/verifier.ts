import { checkDpopBinding, type DpopNonces, type RequestContext, WardError } from "@ward/core";
import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import { discoverIssuer, type IssuerMetadata } from "./discovery.js";
import type { FetchPolicy } from "./fetch-json.js";
import { KeyCache } from "./key-cache.js";
import { MemoryReplayStore, type ReplayStore } from "./replay-store.js";

/** Asymmetric algorithms only: `none` and HMAC (HS256…) are never accepted, whatever the options say. */
export const DEFAULT_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"] as const;
const NEVER = /^(none|HS\d+)$/i;

export interface VerifierOptions extends FetchPolicy {
  /** The issuer exactly as it publishes itself (`issuer` in its metadata), e.g. https://auth.example.com. */
  issuer: string;
  /** This resource's identifier exactly as registered at the issuer: the required `aud` (RFC 8707, RFC 9068). */
  resource: string;
  /** Accepted signing algorithms (default: every asymmetric JWS algorithm). */
  algorithms?: readonly string[];
  /** Seconds of clock difference tolerated on exp and nbf (default 30). */
  clockTolerance?: number;
  /** Seconds the issuer's keys are cached without Cache-Control (default 300). */
  keysMaxAge?: number;
  /**
   * DPoP (RFC 9449) for tokens bound to a key (cnf.jkt): where proof jtis are remembered, the iat
   * window, and server nonces (proofs must then carry a current one; the adapters send DPoP-Nonce).
   */
  dpop?: { replayStore?: ReplayStore; window?: number; nonces?: DpopNonces };
  now?: () => number;
}

/** The claims of a verified RFC 9068 access token. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  client_id: string;
  scope?: string;
  /** The scopes as a list (from `scope`). */
  scopes: string[];
  cnf?: { jkt?: string };
}

export interface Verifier {
  readonly options: Readonly<VerifierOptions>;
  /**
   * Verifies an access token; resolves to its claims or rejects with a catalog WardError. With the
   * request, a DPoP-bound token (cnf.jkt) must come with the DPoP scheme and a valid proof.
   */
  verify(token: string, request?: RequestContext): Promise<AccessTokenClaims>;
  /** The issuer's RFC 8414 metadata (fetched once, then cached). */
  metadata(): Promise<IssuerMetadata>;
}

const formatSeconds = (s: number) => (Math.abs(s) < 120 ? `${Math.round(s)} seconds` : `${Math.round(s / 60)} minutes`);

/**
 * A verifier of the issuer's RFC 9068 access tokens for one resource. Checks, in order: a JWT with
 * `typ: at+jwt`, an accepted asymmetric `alg`, a signature by a key the issuer publishes (re-fetched
 * once on an unknown kid: key rotation), `iss`, `aud` equal to the resource, `exp` / `nbf` with the
 * clock tolerance. Each failure is a WardError with its catalog code (401 invalid_token).
 *
 * @example
 * const verifier = createVerifier({ issuer: "https://auth.example.com", resource: "https://api.example.com/mcp" });
 * const claims = await verifier.verify(bearerToken);
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const algorithms = (options.algorithms ?? DEFAULT_ALGORITHMS).filter((alg) => !NEVER.test(alg));
  const now = options.now ?? Date.now;
  const tolerance = options.clockTolerance ?? 30;
  let metadataPromise: Promise<IssuerMetadata> | undefined;
  /** After a failed discovery, the same error for 5 s: an unreachable issuer is not asked again per request. */
  let lastFailure: { at: number; error: unknown } | undefined;
  const metadata = () => {
    if (!metadataPromise && lastFailure && now() - lastFailure.at < 5000) return Promise.reject(lastFailure.error);
    metadataPromise ??= discoverIssuer(options.issuer, options).catch((error: unknown) => {
      metadataPromise = undefined;
      lastFailure = { at: now(), error };
      throw error;
    });
    return metadataPromise;
  };
  const keys = new KeyCache(async () => (await metadata()).jwks_uri, { ...options, defaultMaxAge: options.keysMaxAge, now });

  const replay = options.dpop?.replayStore ?? new MemoryReplayStore(now);

  async function verify(token: string, request?: RequestContext): Promise<AccessTokenClaims> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new WardError("access_token_invalid", { reason: "it is not a JWT (three base64url parts with a JSON header)" });
    }
    const typ = typeof header.typ === "string" ? header.typ.toLowerCase() : undefined;
    if (typ !== "at+jwt" && typ !== "application/at+jwt") {
      throw new WardError("token_type_confusion", { received: header.typ === undefined ? "(none)" : JSON.stringify(header.typ) });
    }
    const alg = String(header.alg ?? "(none)");
    if (!algorithms.includes(alg))
      throw new WardError("token_algorithm_refused", { received: JSON.stringify(alg), allowed: algorithms.join(", ") });
    const cached = keys.cachedFor(header.kid);
    const { set, known } = cached ? { set: cached, known: true } : await keys.keySetFor(header);
    if (!known) {
      const jwksUri = (await metadata()).jwks_uri;
      throw new WardError("token_signing_key_unknown", {
        kid: JSON.stringify(header.kid ?? "(none)"),
        jwks_uri: jwksUri,
        checked: "just now",
      });
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, set, { algorithms, currentDate: new Date(now()), clockTolerance: tolerance }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        const exp = Number(error.payload.exp) * 1000;
        throw new WardError("token_expired", { ago: formatSeconds((now() - exp) / 1000), expired_at: new Date(exp).toISOString() });
      }
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === "nbf") {
        const nbf = Number(error.payload.nbf);
        throw new WardError("token_not_yet_valid", {
          nbf: new Date(nbf * 1000).toISOString(),
          ahead: formatSeconds(nbf - now() / 1000),
          tolerance: `${tolerance} seconds`,
        });
      }
      throw new WardError("access_token_invalid", { reason: (error as Error).message });
    }
    if (payload.iss !== options.issuer)
      throw new WardError("token_issuer_mismatch", { received: JSON.stringify(payload.iss), expected: options.issuer });
    const audience = ([] as unknown[]).concat(payload.aud ?? []);
    if (!audience.includes(options.resource)) {
      throw new WardError("token_audience_mismatch", { received: JSON.stringify(payload.aud ?? null), expected: options.resource });
    }
    for (const claim of ["sub", "exp", "iat", "jti", "client_id"] as const) {
      if (payload[claim] === undefined) throw new WardError("access_token_invalid", { reason: `it has no ${claim} claim (RFC 9068 §2.2)` });
    }
    await checkDpopBinding(token, payload as { cnf?: unknown }, request, {
      replay,
      window: options.dpop?.window,
      nonces: options.dpop?.nonces,
      now,
    });
    const scope = typeof payload.scope === "string" ? payload.scope : "";
    return { ...(payload as AccessTokenClaims), scopes: scope.split(" ").filter(Boolean) };
  }

  return { options, verify, metadata };
}

export type { RequestContext } from "@ward/core";
