import { WardError } from "@ward/core";
import type { CompiledQuery } from "kysely";
import { parseScope } from "../authorize/scopes.js";
import type { ClientRecord } from "../store/clients.js";
import { insertTokenFamilyQuery, type TokenFamilyRecord } from "../store/tokens.js";
import type { TokenUser } from "../store/users.js";
import type { ServerContext } from "./context.js";
import { checkResourceDpopRequirement } from "./dpop.js";
import { findResource } from "./find-resource.js";
import { newFamilyId, prepareTokens, type TokenResponse, tokenWrites } from "./issue.js";
import { lifetimes } from "./tokens.js";

/** What a user approved, as an authorization code or an approved device code carries it. */
export interface UserGrant {
  user_id: string;
  session_id: string | null;
  scope: string;
  resource: string | null;
  auth_time: number;
  amr: string[];
  nonce: string | null;
}

/**
 * Issues the tokens of a grant a user approved (authorization code, device code): a new token
 * family, an access token, a refresh token when the client may have one (its grant_types include
 * refresh_token and it asked for offline_access, or tokens.refresh_without_offline_access), an ID
 * token for `openid`. `claim` is the guard that marks the grant used, applied with the token rows
 * (a compare-and-set); undefined when it lost, so the caller answers the second redemption.
 */
export async function issueForUserGrant(
  ctx: ServerContext,
  client: ClientRecord,
  grant: UserGrant,
  /** The grant's user as read now (undefined: deleted), so a user disabled since approving gets nothing. */
  user: TokenUser | undefined,
  options: {
    requestId: string;
    /** The error when the user was deleted or disabled since approving. */
    userGone: () => WardError;
    claim: (familyId: string, now: number) => CompiledQuery;
    /** The key of the token request's DPoP proof: the access token is bound to it (cnf.jkt). */
    dpopJkt: string | undefined;
  },
): Promise<TokenResponse | undefined> {
  if (!user || user.disabled) throw options.userGone();
  const resource = grant.resource ? await findResource(ctx, grant.resource) : undefined;
  if (grant.resource && !resource)
    throw new WardError("resource_unknown", { received: grant.resource, closest: " (it was deleted after the grant was approved)" });
  checkResourceDpopRequirement(resource, options.dpopJkt);
  const scope = parseScope(grant.scope);
  const withRefreshToken =
    client.grant_types.includes("refresh_token") && (scope.includes("offline_access") || ctx.config.tokens.refresh_without_offline_access);
  const now = ctx.now();
  const ttl = lifetimes(ctx, client, resource);
  const family: TokenFamilyRecord = {
    id: newFamilyId(now),
    client_id: client.client_id,
    user_id: user.id,
    session_id: grant.session_id,
    scope: grant.scope,
    resource: grant.resource,
    auth_time: grant.auth_time,
    amr: grant.amr,
    created_at: now,
    expires_at: now + (withRefreshToken ? ttl.refresh : ttl.access) * 1000,
    last_used_at: now,
    revoked_at: null,
    revoked_reason: null,
    // RFC 9449 §5: a public client's refresh tokens are bound to its key; a confidential client's are bound by its credentials.
    dpop_jkt: client.token_endpoint_auth_method === "none" ? (options.dpopJkt ?? null) : null,
  };
  const input = { client, user, family, resource, scope, nonce: grant.nonce, withRefreshToken, dpopJkt: options.dpopJkt };
  const prepared = await prepareTokens(ctx, input);
  const won = await ctx.guardedWrites.apply({
    guard: options.claim(family.id, now),
    statements: [
      insertTokenFamilyQuery(ctx.db, ctx.tenantId, family),
      ...tokenWrites(ctx, prepared, input, { type: "token.issued", requestId: options.requestId }),
    ],
  });
  return won ? prepared.response : undefined;
}
