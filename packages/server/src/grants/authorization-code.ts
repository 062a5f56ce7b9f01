import { checkTokenPkce, WardError } from "@ward/core";
import { parseScope } from "../authorize/scopes.js";
import { hashSecret } from "../crypto/tokens.js";
import { param } from "../http/params.js";
import type { ServerContext } from "../oauth/context.js";
import { checkResourceDpopRequirement, describeProofKey } from "../oauth/dpop.js";
import { formatAge } from "../oauth/format.js";
import { newFamilyId, prepareTokens, storeTokens, type TokenResponse } from "../oauth/issue.js";
import { lifetimes } from "../oauth/tokens.js";
import { recordAuditEvent } from "../store/audit.js";
import type { ClientRecord } from "../store/clients.js";
import { type AuthorizationCodeRecord, claimAuthorizationCode, getAuthorizationCode } from "../store/codes.js";
import { getResourceByUri } from "../store/resources.js";
import { insertTokenFamily, revokeFamilies, type TokenFamilyRecord } from "../store/tokens.js";
import { transaction } from "../store/transaction.js";
import { getUser } from "../store/users.js";

export interface GrantRequest {
  ctx: ServerContext;
  client: ClientRecord;
  params: URLSearchParams;
  requestId: string;
  /**
   * The RFC 7638 thumbprint of the key of the request's valid DPoP proof (RFC 9449 §5), checked by
   * the token endpoint before the grant runs; undefined without a DPoP header. A grant binds the
   * access tokens it issues to it (IssueInput.dpopJkt / AccessTokenInput.dpop_jkt) and runs
   * checkResourceDpopRequirement once it knows the resource.
   */
  dpopJkt?: string | undefined;
}

/** A second redemption: whatever the first one issued is revoked (RFC 6749 §4.1.2, RFC 9700 §4.4.1). */
async function refuseReuse(ctx: ServerContext, code: AuthorizationCodeRecord, requestId: string): Promise<never> {
  const now = ctx.now();
  const revoked = await transaction(ctx.db, async (trx) => {
    const ids = await revokeFamilies(trx, ctx.tenantId, code.family_id ? [code.family_id] : [], "authorization code used twice", now);
    await recordAuditEvent(trx, ctx.tenantId, {
      type: "authorization_code.reuse_detected",
      actor: code.client_id,
      subject: code.user_id,
      data: { client_id: code.client_id, family_id: code.family_id, revoked: ids.length > 0, request_id: requestId, outcome: "revoked" },
    });
    return ids;
  });
  throw new WardError("authorization_code_reused", {
    age: formatAge(now - (code.used_at ?? now)),
    revoked: revoked.length > 0 ? "the access and refresh tokens of the first exchange" : "nothing was left to revoke",
  });
}

/** The named checks of grant_type=authorization_code, in order. */
const checks = {
  codePresent: (params: URLSearchParams) => {
    const code = param(params, "code", "token_parameter_invalid", 256);
    if (!code) throw new WardError("authorization_code_missing");
    return code;
  },
  codeKnown: async (ctx: ServerContext, code: string) => {
    const record = await getAuthorizationCode(ctx.db, ctx.tenantId, hashSecret(code));
    if (!record) throw new WardError("authorization_code_invalid");
    return record;
  },
  boundToClient: (code: AuthorizationCodeRecord, client: ClientRecord) => {
    if (code.client_id !== client.client_id)
      throw new WardError("authorization_code_client_mismatch", { expected: code.client_id, received: client.client_id });
  },
  notExpired: (ctx: ServerContext, code: AuthorizationCodeRecord) => {
    const now = ctx.now();
    if (code.expires_at <= now) {
      throw new WardError("authorization_code_expired", {
        age: formatAge(now - code.created_at),
        lifetime: formatAge(code.expires_at - code.created_at),
      });
    }
  },
  boundToRedirectUri: (code: AuthorizationCodeRecord, params: URLSearchParams) => {
    const received = params.get("redirect_uri");
    if (received !== code.redirect_uri) {
      throw new WardError("authorization_code_redirect_uri_mismatch", {
        received: received === null ? "(missing)" : JSON.stringify(received.slice(0, 300)),
        expected: code.redirect_uri,
      });
    }
  },
  boundToResource: (code: AuthorizationCodeRecord, params: URLSearchParams) => {
    const received = params.getAll("resource");
    if (received.length === 0) return;
    if (received.length > 1 || received[0] !== (code.resource ?? undefined)) {
      throw new WardError("authorization_code_resource_mismatch", {
        received: received.join(", "),
        expected: code.resource ?? "(no resource)",
      });
    }
  },
  pkceVerified: (code: AuthorizationCodeRecord, params: URLSearchParams) => {
    const verifier = params.get("code_verifier");
    const problem = checkTokenPkce(code.code_challenge, verifier === null ? undefined : verifier.slice(0, 256));
    if (problem) throw problem;
  },
  boundToDpopKey: (code: AuthorizationCodeRecord, dpopJkt: string | undefined) => {
    if (code.dpop_jkt && code.dpop_jkt !== dpopJkt)
      throw new WardError("dpop_jkt_mismatch", { expected: code.dpop_jkt, received: describeProofKey(dpopJkt) });
  },
};

/**
 * grant_type=authorization_code: a code is redeemed once, by its client, with its redirect_uri,
 * resource and PKCE verifier; the redemption starts a token family (so a second use can revoke it).
 */
export async function authorizationCodeGrant({ ctx, client, params, requestId, dpopJkt }: GrantRequest): Promise<TokenResponse> {
  const code = await checks.codeKnown(ctx, checks.codePresent(params));
  checks.boundToClient(code, client);
  if (code.used_at !== null) return refuseReuse(ctx, code, requestId);
  checks.notExpired(ctx, code);
  checks.boundToRedirectUri(code, params);
  checks.boundToResource(code, params);
  checks.pkceVerified(code, params);
  checks.boundToDpopKey(code, dpopJkt);

  const user = await getUser(ctx.db, ctx.tenantId, code.user_id);
  if (!user || user.disabled) throw new WardError("authorization_code_invalid");
  const resource = code.resource ? await getResourceByUri(ctx.db, ctx.tenantId, code.resource) : undefined;
  if (code.resource && !resource)
    throw new WardError("resource_unknown", { received: code.resource, closest: " (it was deleted after the code was issued)" });
  checkResourceDpopRequirement(resource, dpopJkt);
  const scope = parseScope(code.scope);
  const withRefreshToken =
    client.grant_types.includes("refresh_token") && (scope.includes("offline_access") || ctx.config.tokens.refresh_without_offline_access);
  const now = ctx.now();
  const ttl = lifetimes(ctx, client, resource);
  const family: TokenFamilyRecord = {
    id: newFamilyId(),
    client_id: client.client_id,
    user_id: user.id,
    session_id: code.session_id,
    scope: code.scope,
    resource: code.resource,
    auth_time: code.auth_time,
    amr: code.amr,
    created_at: now,
    expires_at: now + (withRefreshToken ? ttl.refresh : ttl.access) * 1000,
    last_used_at: now,
    revoked_at: null,
    revoked_reason: null,
    // RFC 9449 §5: a public client's refresh tokens are bound to its key; a confidential client's are bound by its credentials.
    dpop_jkt: client.token_endpoint_auth_method === "none" ? (dpopJkt ?? null) : null,
  };
  const input = { client, user, family, resource, scope, nonce: code.nonce, withRefreshToken, dpopJkt };
  const prepared = await prepareTokens(ctx, input);
  const won = await transaction(ctx.db, async (trx) => {
    if (!(await claimAuthorizationCode(trx, ctx.tenantId, code.code_hash, family.id, now))) return false;
    await insertTokenFamily(trx, ctx.tenantId, family);
    await storeTokens(trx, ctx, prepared, input, { type: "token.issued", requestId });
    return true;
  });
  if (!won) return refuseReuse(ctx, (await getAuthorizationCode(ctx.db, ctx.tenantId, code.code_hash)) ?? code, requestId);
  return prepared.response;
}
