import { WardError } from "@ward/core";
import { checkScopesDeclaredOnResource, formatScopes, OIDC_SCOPES, parseScope, resolveResource } from "../authorize/scopes.js";
import { param } from "../http/params.js";
import { checkResourceDpopRequirement } from "../oauth/dpop.js";
import type { TokenResponse } from "../oauth/issue.js";
import { lifetimes, signAccessToken } from "../oauth/tokens.js";
import { recordAuditEvent } from "../store/audit.js";
import { recordAccessToken } from "../store/tokens.js";
import { transaction } from "../store/transaction.js";
import type { GrantRequest } from "./authorization-code.js";

/**
 * grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself. The
 * scopes are limited to what an admin registered on the client (`scope`), must be declared on the
 * resource (named, or the one resource declaring them), and OpenID scopes make no sense here. No
 * refresh token, no ID token; sub is the client_id.
 */
export async function clientCredentialsGrant({ ctx, client, params, requestId, dpopJkt }: GrantRequest): Promise<TokenResponse> {
  if (client.token_endpoint_auth_method === "none") {
    throw new WardError("grant_type_not_allowed_for_client", {
      client_id: client.client_id,
      registered: "none (a public client)",
      received: "client_credentials",
    });
  }
  const requested = parseScope(param(params, "scope", "token_parameter_invalid", 2048));
  const granted = (client.scope ?? "").split(" ").filter((scope) => scope !== "" && !(scope in OIDC_SCOPES));
  const refused = requested.filter((scope) => !granted.includes(scope));
  if (refused.length > 0) {
    throw new WardError("scope_not_allowed_for_client", {
      client_id: client.client_id,
      allowed: formatScopes(granted),
      scope: refused.join(" "),
    });
  }
  const scope = requested.length > 0 ? requested : granted;
  const resource = await resolveResource(ctx, params.getAll("resource"), scope);
  if (!resource)
    throw new WardError("resource_missing", {
      scope: formatScopes(scope),
      reason: "a client_credentials token needs an audience: send resource",
    });
  checkScopesDeclaredOnResource(resource, scope, ctx.issuer);
  checkResourceDpopRequirement(resource, dpopJkt);
  const lifetime = lifetimes(ctx, client, resource).access;
  const access = await signAccessToken(ctx, {
    client_id: client.client_id,
    subject: client.client_id,
    audience: resource.uri,
    scope: scope.join(" "),
    lifetime,
    dpop_jkt: dpopJkt,
  });
  await transaction(ctx.db, async (trx) => {
    await recordAccessToken(trx, ctx.tenantId, {
      jti: access.jti,
      family_id: null,
      client_id: client.client_id,
      expires_at: access.expires_at,
    });
    await recordAuditEvent(trx, ctx.tenantId, {
      type: "token.issued",
      actor: client.client_id,
      subject: client.client_id,
      data: {
        grant_type: "client_credentials",
        client_id: client.client_id,
        resource: resource.uri,
        scopes: scope,
        access_token_jti: access.jti,
        dpop_jkt: dpopJkt ?? null,
        request_id: requestId,
        outcome: "issued",
      },
    });
  });
  return { access_token: access.token, token_type: dpopJkt ? "DPoP" : "Bearer", expires_in: lifetime, scope: scope.join(" ") };
}
