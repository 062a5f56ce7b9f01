import { checkTokenPkce, WardError } from "@ward/core";
import { hashSecret } from "../crypto/tokens.js";
import { param } from "../http/params.js";
import type { ServerContext } from "../oauth/context.js";
import { describeProofKey } from "../oauth/dpop.js";
import { formatAge } from "../oauth/format.js";
import type { TokenResponse } from "../oauth/issue.js";
import { issueForUserGrant } from "../oauth/redeem.js";
import { recordAuditEvent } from "../store/audit.js";
import type { ClientRecord } from "../store/clients.js";
import {
  type AuthorizationCodeRecord,
  claimAuthorizationCodeQuery,
  getAuthorizationCode,
  getAuthorizationCodeAndUser,
} from "../store/codes.js";
import { revokeFamilies } from "../store/tokens.js";
import { transaction } from "../store/transaction.js";

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
    const found = await getAuthorizationCodeAndUser(ctx.db, ctx.tenantId, hashSecret(code));
    if (!found) throw new WardError("authorization_code_invalid");
    return found;
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
  const { code, user } = await checks.codeKnown(ctx, checks.codePresent(params));
  checks.boundToClient(code, client);
  if (code.used_at !== null) return refuseReuse(ctx, code, requestId);
  checks.notExpired(ctx, code);
  checks.boundToRedirectUri(code, params);
  checks.boundToResource(code, params);
  checks.pkceVerified(code, params);
  checks.boundToDpopKey(code, dpopJkt);

  const issued = await issueForUserGrant(ctx, client, code, user, {
    requestId,
    dpopJkt,
    userGone: () => new WardError("authorization_code_invalid"),
    claim: (familyId, now) => claimAuthorizationCodeQuery(ctx.db, ctx.tenantId, code.code_hash, familyId, now),
  });
  if (issued) return issued;
  return refuseReuse(ctx, (await getAuthorizationCode(ctx.db, ctx.tenantId, code.code_hash)) ?? code, requestId);
}
