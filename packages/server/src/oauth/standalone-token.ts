import type { ClientRecord } from "../store/clients.js";
import type { ResourceRecord } from "../store/resources.js";
import type { ServerContext } from "./context.js";
import { checkResourceDpopRequirement } from "./dpop.js";
import type { TokenResponse } from "./issue.js";
import { type ActClaim, signAccessToken } from "./tokens.js";

export interface StandaloneTokenInput {
  grantType: string;
  client: ClientRecord;
  subject: string;
  resource: ResourceRecord;
  scope: readonly string[];
  lifetime: number;
  requestId: string;
  /** The family the token dies with (token exchange: the subject token's), or null. */
  familyId?: string | null;
  auth_time?: number | null;
  act?: ActClaim | undefined;
  /** The key of the token request's DPoP proof: the token is bound to it (cnf.jkt, token_type DPoP). */
  dpopJkt: string | undefined;
  /** Audit event type; `token.issued` unless given. */
  auditType?: string;
  /** Grant-specific audit details (never secrets). */
  auditData?: Record<string, unknown>;
}

/**
 * Signs, records and audits an access token issued without a refresh token (client_credentials,
 * token exchange, JWT bearer), committed before it returns (group commit: `store/issued-token-log.ts`); the token response.
 */
export async function issueStandaloneAccessToken(ctx: ServerContext, input: StandaloneTokenInput): Promise<TokenResponse> {
  const { client, resource, lifetime } = input;
  checkResourceDpopRequirement(resource, input.dpopJkt);
  const scope = input.scope.join(" ");
  const access = await signAccessToken(ctx, {
    client_id: client.client_id,
    subject: input.subject,
    audience: resource.uri,
    scope,
    lifetime,
    auth_time: input.auth_time,
    act: input.act,
    may_act: resource.may_act,
    dpop_jkt: input.dpopJkt,
  });
  await ctx.issuedTokens.record({
    token: { jti: access.jti, family_id: input.familyId ?? null, client_id: client.client_id, expires_at: access.expires_at },
    audit: {
      type: input.auditType ?? "token.issued",
      actor: client.client_id,
      subject: input.subject,
      data: {
        grant_type: input.grantType,
        client_id: client.client_id,
        ...input.auditData,
        resource: resource.uri,
        scopes: input.scope,
        access_token_jti: access.jti,
        dpop_jkt: input.dpopJkt ?? null,
        request_id: input.requestId,
        outcome: "issued",
      },
    },
  });
  return { access_token: access.token, token_type: input.dpopJkt ? "DPoP" : "Bearer", expires_in: lifetime, scope };
}
