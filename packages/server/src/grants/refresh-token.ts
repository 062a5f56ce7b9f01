import { WardError } from "@ward/core";
import { formatScopes, parseScope } from "../authorize/scopes.js";
import { hashSecret } from "../crypto/tokens.js";
import { param } from "../http/params.js";
import { open } from "../keys/secret-box.js";
import type { ServerContext } from "../oauth/context.js";
import { checkResourceDpopRequirement, describeProofKey } from "../oauth/dpop.js";
import { findResource } from "../oauth/find-resource.js";
import { formatAge } from "../oauth/format.js";
import { prepareTokens, sealSuccessor, type TokenResponse, tokenWrites } from "../oauth/issue.js";
import { recordAuditEvent } from "../store/audit.js";
import {
  getRefreshToken,
  getRefreshTokenGrant,
  type RefreshTokenRecord,
  revokeFamilies,
  spendRefreshTokenQuery,
  type TokenFamilyRecord,
  touchTokenFamilyQuery,
} from "../store/tokens.js";
import { transaction } from "../store/transaction.js";
import type { GrantRequest } from "./authorization-code.js";

/**
 * A spent token sent again. Within refresh_grace_period the duplicate gets the pair the first
 * request got (a client racing itself); otherwise the family is revoked (RFC 9700 §4.14.2).
 */
async function spentAgain(
  ctx: ServerContext,
  token: RefreshTokenRecord,
  family: TokenFamilyRecord,
  requestId: string,
): Promise<TokenResponse> {
  const now = ctx.now();
  const spentAt = token.spent_at ?? now;
  const grace = ctx.config.tokens.refresh_grace_period * 1000;
  if (grace > 0 && now - spentAt <= grace && token.successor_sealed) {
    return JSON.parse(
      open(ctx.masterKey, token.successor_sealed, `refresh-successor:${ctx.tenantId}:${token.token_hash}`),
    ) as TokenResponse;
  }
  const count = await transaction(ctx.db, async (trx) => {
    await revokeFamilies(trx, ctx.tenantId, [family.id], "refresh token reused", now);
    await recordAuditEvent(trx, ctx.tenantId, {
      type: "refresh_token.reuse_detected",
      actor: family.client_id,
      subject: family.user_id,
      data: {
        client_id: family.client_id,
        family_id: family.id,
        resource: family.resource,
        spent_ago_ms: now - spentAt,
        request_id: requestId,
        outcome: "family revoked",
      },
    });
    const rows = await trx
      .selectFrom("refresh_tokens")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("tenant_id", "=", ctx.tenantId)
      .where("family_id", "=", family.id)
      .executeTakeFirstOrThrow();
    return Number(rows.count);
  });
  throw new WardError("refresh_token_reused", { age: formatAge(now - spentAt), count });
}

/** The named checks of grant_type=refresh_token, in order. */
const checks = {
  tokenPresent: (params: URLSearchParams) => {
    const token = param(params, "refresh_token", "token_parameter_invalid", 256);
    if (!token) throw new WardError("refresh_token_missing");
    return token;
  },
  tokenKnown: async (ctx: ServerContext, token: string) => {
    const found = await getRefreshTokenGrant(ctx.db, ctx.tenantId, hashSecret(token));
    if (!found?.family) throw new WardError("refresh_token_invalid");
    return { record: found.refresh, family: found.family, user: found.user };
  },
  boundToClient: (family: TokenFamilyRecord, clientId: string) => {
    if (family.client_id !== clientId)
      throw new WardError("refresh_token_client_mismatch", { expected: family.client_id, received: clientId });
  },
  familyNotRevoked: (ctx: ServerContext, family: TokenFamilyRecord) => {
    if (family.revoked_at !== null) {
      throw new WardError("refresh_token_revoked", {
        ago: formatAge(ctx.now() - family.revoked_at),
        reason: family.revoked_reason ?? "revoked",
      });
    }
  },
  sameDpopKey: (family: TokenFamilyRecord, dpopJkt: string | undefined) => {
    if (family.dpop_jkt && family.dpop_jkt !== dpopJkt)
      throw new WardError("dpop_refresh_key_swap", { expected: family.dpop_jkt, received: describeProofKey(dpopJkt) });
  },
  familyNotExpired: (ctx: ServerContext, family: TokenFamilyRecord) => {
    const now = ctx.now();
    if (family.expires_at <= now) {
      throw new WardError("refresh_token_expired", {
        ago: formatAge(now - family.expires_at),
        started: new Date(family.created_at).toISOString(),
        lifetime: formatAge(family.expires_at - family.created_at),
      });
    }
  },
  activeEnough: (ctx: ServerContext, token: RefreshTokenRecord, request: GrantRequest) => {
    if (request.client.token_endpoint_auth_method !== "none") return;
    const idle = ctx.now() - token.created_at;
    const limit = ctx.config.tokens.refresh_token_idle_ttl * 1000;
    if (idle > limit)
      throw new WardError("refresh_token_inactive", {
        client_id: request.client.client_id,
        idle: formatAge(idle),
        limit: formatAge(limit),
      });
  },
  scopeOnlyNarrows: (params: URLSearchParams, family: TokenFamilyRecord, token: RefreshTokenRecord): string[] => {
    const granted = parseScope(family.scope);
    const raw = param(params, "scope", "token_parameter_invalid", 2048);
    if (raw === undefined) return parseScope(token.scope);
    const asked = parseScope(raw);
    const extra = asked.filter((scope) => !granted.includes(scope));
    if (extra.length > 0) throw new WardError("refresh_scope_widening", { extra: formatScopes(extra), granted: formatScopes(granted) });
    return asked;
  },
  sameResource: (params: URLSearchParams, family: TokenFamilyRecord) => {
    const received = params.getAll("resource");
    if (received.length === 0) return;
    if (received.length > 1 || received[0] !== (family.resource ?? undefined)) {
      throw new WardError("resource_invalid", {
        received: JSON.stringify(received.join(", ")),
        reason: `differs from the resource of this grant (${family.resource ?? "none"}); a refresh token serves the resource it was issued for`,
      });
    }
  },
};

/**
 * grant_type=refresh_token: rotation on every use inside the token's family; reuse of a spent token
 * revokes the family; the scope can only narrow.
 */
export async function refreshTokenGrant(request: GrantRequest): Promise<TokenResponse> {
  const { ctx, client, params, requestId } = request;
  const presented = checks.tokenPresent(params);
  const { record, family, user } = await checks.tokenKnown(ctx, presented);
  checks.boundToClient(family, client.client_id);
  checks.familyNotRevoked(ctx, family);
  checks.sameDpopKey(family, request.dpopJkt);
  if (record.spent_at !== null) return spentAgain(ctx, record, family, requestId);
  checks.familyNotExpired(ctx, family);
  checks.activeEnough(ctx, record, request);
  const scope = checks.scopeOnlyNarrows(params, family, record);
  checks.sameResource(params, family);

  if (!user || user.disabled)
    throw new WardError("refresh_token_revoked", { ago: "0 seconds", reason: "the user was disabled or deleted" });
  const resource = family.resource ? await findResource(ctx, family.resource) : undefined;
  if (family.resource && !resource) {
    throw new WardError("resource_unknown", {
      received: JSON.stringify(family.resource),
      closest: " (it was deleted after this grant was made)",
    });
  }
  checkResourceDpopRequirement(resource, request.dpopJkt);
  // A confidential client's refresh token is not bound, but the new access token is bound to this request's proof key.
  const input = { client, user, family, resource, scope, nonce: null, withRefreshToken: true, dpopJkt: request.dpopJkt };
  const prepared = await prepareTokens(ctx, input);
  const successor = ctx.config.tokens.refresh_grace_period > 0 ? sealSuccessor(ctx, record.token_hash, prepared.response) : null;
  const now = ctx.now();
  const won = await ctx.guardedWrites.apply({
    guard: spendRefreshTokenQuery(ctx.db, ctx.tenantId, record.token_hash, now, successor),
    statements: [
      touchTokenFamilyQuery(ctx.db, ctx.tenantId, family.id, now),
      ...tokenWrites(ctx, prepared, input, { type: "token.refreshed", requestId }),
    ],
  });
  if (!won) {
    const spent = (await getRefreshToken(ctx.db, ctx.tenantId, record.token_hash)) ?? record;
    return spentAgain(ctx, spent, family, requestId);
  }
  return prepared.response;
}
