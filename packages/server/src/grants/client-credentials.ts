import { WardError } from "@ward/core";
import { checkScopesDeclaredOnResource, formatScopes, OIDC_SCOPES, parseScope, resolveResource } from "../authorize/scopes.js";
import { param } from "../http/params.js";
import type { TokenResponse } from "../oauth/issue.js";
import { issueStandaloneAccessToken } from "../oauth/standalone-token.js";
import { lifetimes } from "../oauth/tokens.js";
import type { GrantRequest } from "./authorization-code.js";
import { requireConfidentialClient } from "./confidential.js";

/**
 * grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself. The
 * scopes are limited to what an admin registered on the client (`scope`), must be declared on the
 * resource (named, or the one resource declaring them), and OpenID scopes make no sense here. No
 * refresh token, no ID token; sub is the client_id.
 */
export async function clientCredentialsGrant({ ctx, client, params, requestId, dpopJkt }: GrantRequest): Promise<TokenResponse> {
  requireConfidentialClient(client, "client_credentials");
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
  const lifetime = lifetimes(ctx, client, resource).access;
  return issueStandaloneAccessToken(ctx, {
    grantType: "client_credentials",
    client,
    subject: client.client_id,
    resource,
    scope,
    lifetime,
    requestId,
    dpopJkt,
  });
}
