import { timeOrderedId } from "../crypto/tokens.js";
import { signCompactJws } from "../keys/jws.js";
import type { ClientRecord } from "../store/clients.js";
import type { ResourceRecord } from "../store/resources.js";
import type { TokenUser } from "../store/users.js";
import type { ServerContext } from "./context.js";

/** Lifetimes in seconds for one client and resource: the client's own, else the resource's, else the server's. */
export function lifetimes(ctx: ServerContext, client: ClientRecord, resource: ResourceRecord | undefined) {
  const tokens = ctx.config.tokens;
  return {
    access: client.access_token_ttl ?? resource?.access_token_ttl ?? tokens.access_token_ttl,
    id: client.id_token_ttl ?? tokens.id_token_ttl,
    refresh: client.refresh_token_ttl ?? tokens.refresh_token_ttl,
  };
}

export interface AccessTokenInput {
  client_id: string;
  subject: string;
  /** The resource URI, or the userinfo endpoint for OpenID-only grants. */
  audience: string;
  scope: string;
  lifetime: number;
  auth_time?: number | null | undefined;
  /** RFC 9449 §6: the thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  dpop_jkt?: string | undefined;
  /** The acting party and the chain before it (RFC 8693 §4.1), on exchanged tokens. */
  act?: ActClaim | undefined;
  /** The one client that may act for this token (RFC 8693 §4.4): the resource's `may_act` setting. */
  may_act?: string | null | undefined;
}

/** RFC 8693 §4.1 actor claim: the current actor, with the previous one nested in `act`. */
export interface ActClaim {
  sub: string;
  client_id?: string;
  act?: ActClaim;
}

/** An RFC 9068 access token (`typ: at+jwt`) signed by the active key; returns it with its jti and expiry (ms). */
export async function signAccessToken(
  ctx: ServerContext,
  input: AccessTokenInput,
): Promise<{ token: string; jti: string; expires_at: number }> {
  const key = ctx.keys.signingKey();
  const now = ctx.now();
  const iat = Math.floor(now / 1000);
  const jti = timeOrderedId("at", now);
  // Claims are added in place, not spread into a new object: V8 promoted the spread copies to the
  // old generation, which made major GCs (and their pauses) several times as frequent under load.
  const claims: Record<string, unknown> = { client_id: input.client_id, scope: input.scope };
  if (input.auth_time) claims.auth_time = Math.floor(input.auth_time / 1000);
  if (input.dpop_jkt) claims.cnf = { jkt: input.dpop_jkt };
  if (input.act) claims.act = input.act;
  if (input.may_act) claims.may_act = { sub: input.may_act };
  addRegisteredClaims(claims, ctx.issuer, input.subject, input.audience, iat, iat + input.lifetime, jti);
  const token = signCompactJws(key.signer, { alg: key.alg, kid: key.kid, typ: "at+jwt" }, claims);
  return { token, jti, expires_at: (iat + input.lifetime) * 1000 };
}

export interface IdTokenInput {
  client_id: string;
  user: TokenUser;
  scope: readonly string[];
  nonce: string | null;
  auth_time: number | null;
  amr: readonly string[];
  session_id: string | null;
  lifetime: number;
}

/** The OpenID Connect ID token (OIDC Core §2): aud = client_id, nonce echoed, profile/email claims by scope. */
export async function signIdToken(ctx: ServerContext, input: IdTokenInput): Promise<string> {
  const key = ctx.keys.signingKey();
  const iat = Math.floor(ctx.now() / 1000);
  const claims = userClaims(input.user, input.scope);
  if (input.nonce) claims.nonce = input.nonce;
  if (input.auth_time) claims.auth_time = Math.floor(input.auth_time / 1000);
  if (input.amr.length > 0) claims.amr = input.amr;
  if (input.session_id) claims.sid = input.session_id;
  addRegisteredClaims(claims, ctx.issuer, input.user.id, input.client_id, iat, iat + input.lifetime);
  return signCompactJws(key.signer, { alg: key.alg, kid: key.kid, typ: "JWT" }, claims);
}

/** Appends iss, sub, aud, iat, exp and jti when given (RFC 7519 §4.1) after the token's own claims, in that order. */
function addRegisteredClaims(
  claims: Record<string, unknown>,
  iss: string,
  sub: string,
  aud: string,
  iat: number,
  exp: number,
  jti?: string,
) {
  claims.iss = iss;
  claims.sub = sub;
  claims.aud = aud;
  claims.iat = iat;
  claims.exp = exp;
  if (jti !== undefined) claims.jti = jti;
}

/** Claims about the user that the granted scopes release (OIDC Core §5.4). */
export function userClaims(user: TokenUser, scope: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scope.includes("email")) claims.email = user.email;
  if (scope.includes("profile") && user.name) claims.name = user.name;
  return claims;
}
