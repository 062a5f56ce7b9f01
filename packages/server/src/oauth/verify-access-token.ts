import { WardError } from "@ward/core";
import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import { getAccessTokenState } from "../store/tokens.js";
import type { ServerContext } from "./context.js";
import { formatAge } from "./format.js";

const keySets = new WeakMap<object, ReturnType<typeof createLocalJWKSet>>();

/** The published keys as a jose key set, imported once per published list (it changes only on rotation). */
export function publishedKeySet(ctx: ServerContext): ReturnType<typeof createLocalJWKSet> {
  const jwks = ctx.keys.jwks();
  let set = keySets.get(jwks.keys);
  if (!set) {
    set = createLocalJWKSet(jwks as never);
    keySets.set(jwks.keys, set);
  }
  return set;
}

export interface VerifiedAccessToken {
  payload: JWTPayload & { client_id: string; scope: string; jti: string; sub: string };
  family_id: string | null;
}

/**
 * Checks an access token Ward issued: signature by a published key, `typ: at+jwt`, issuer, expiry,
 * and that neither it nor its grant was revoked. Errors carry the catalog code (401 invalid_token).
 */
export async function verifyAccessToken(ctx: ServerContext, token: string): Promise<VerifiedAccessToken> {
  let typ: string | undefined;
  try {
    typ = decodeProtectedHeader(token).typ;
  } catch {
    throw new WardError("access_token_invalid", { reason: "it is not a JWT (three base64url parts)" });
  }
  if (typ?.toLowerCase() !== "at+jwt" && typ?.toLowerCase() !== "application/at+jwt") {
    throw new WardError("token_type_confusion", { received: typ === undefined ? "(none)" : JSON.stringify(typ) });
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, publishedKeySet(ctx), {
      issuer: ctx.issuer,
      currentDate: new Date(ctx.now()),
      requiredClaims: ["exp", "jti", "sub", "client_id"],
    }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_JWT_EXPIRED") {
      const exp = ((error as { payload?: JWTPayload }).payload?.exp ?? 0) * 1000;
      throw new WardError("token_expired", { ago: formatAge(ctx.now() - exp), expired_at: new Date(exp).toISOString() });
    }
    if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && (error as { claim?: string }).claim === "iss") {
      throw new WardError("token_issuer_mismatch", {
        received: JSON.stringify((error as { payload?: JWTPayload }).payload?.iss ?? ""),
        expected: ctx.issuer,
      });
    }
    if (code === "ERR_JWKS_NO_MATCHING_KEY") {
      throw new WardError("token_signing_key_unknown", {
        kid: JSON.stringify(decodeProtectedHeader(token).kid ?? ""),
        jwks_uri: ctx.endpoints.jwks,
        checked: "now",
      });
    }
    throw new WardError("access_token_invalid", { reason: (error as Error).message });
  }
  const state = await getAccessTokenState(ctx.db, ctx.tenantId, payload.jti as string);
  if (!state)
    throw new WardError("access_token_invalid", { reason: "this server has no record of it (expired and cleaned up, or not issued here)" });
  if (state.revoked_at !== null) throw new WardError("access_token_revoked", { ago: formatAge(ctx.now() - state.revoked_at) });
  return { payload: payload as VerifiedAccessToken["payload"], family_id: state.family_id };
}
