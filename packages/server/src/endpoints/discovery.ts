import { DPOP_ALGORITHMS, WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import { PROMPTS } from "../authorize/request.js";
import { OIDC_SCOPES } from "../authorize/scopes.js";
import type { WardConfig } from "../config/spec.js";
import type { WardEnv } from "../http/context.js";
import { setHeader } from "../http/response-headers.js";
import { ASSERTION_ALGORITHMS } from "../oauth/client-auth.js";
import type { EndpointUrls } from "../oauth/context.js";
import { supportedGrants } from "./token.js";

export interface MetadataContext {
  issuer: string;
  config: WardConfig;
  endpoints: EndpointUrls;
  /** Algorithm of the active signing key (ID tokens and access tokens). */
  signingAlgorithms: () => string[];
}

/**
 * RFC 8414 / OpenID Connect Discovery metadata. It lists only what this build implements; each
 * endpoint adds its own fields here as it lands.
 */
export function authorizationServerMetadata(ctx: MetadataContext): Record<string, unknown> {
  const { endpoints } = ctx;
  return {
    issuer: ctx.issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    userinfo_endpoint: endpoints.userinfo,
    revocation_endpoint: endpoints.revocation,
    introspection_endpoint: endpoints.introspection,
    end_session_endpoint: endpoints.end_session,
    pushed_authorization_request_endpoint: endpoints.pushed_authorization_request,
    jwks_uri: endpoints.jwks,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: supportedGrants(ctx.config),
    code_challenge_methods_supported: ["S256"],
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
    introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
    // Resource scopes are not listed: a scope means something only with its resource (RFC 8707), two resources may
    // declare the same name, and each resource lists its own in its Protected Resource Metadata (RFC 9728).
    scopes_supported: Object.keys(OIDC_SCOPES),
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ctx.signingAlgorithms(),
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid", "email", "name"],
    prompt_values_supported: PROMPTS,
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    // request_uri means a request_uri from the pushed_authorization_request_endpoint (RFC 9126 §5), never a fetched request object.
    request_uri_parameter_supported: true,
    require_pushed_authorization_requests: ctx.config.par.required,
    claims_parameter_supported: false,
    service_documentation: `${ctx.issuer}/errors`,
    ...(ctx.config.grants.device_code ? { device_authorization_endpoint: endpoints.device_authorization } : {}),
    ...(ctx.config.registration.policy === "admin_only" ? {} : { registration_endpoint: endpoints.registration }),
    ...(ctx.config.registration.client_id_metadata_documents ? { client_id_metadata_document_supported: true } : {}),
  };
}

/** `/.well-known/oauth-authorization-server` and `/.well-known/openid-configuration` (same body). */
export function mountDiscovery(app: Hono<WardEnv>, ctx: MetadataContext): void {
  const serve = (c: Context<WardEnv>) => {
    setHeader(c, "Cache-Control", "public, max-age=300");
    setHeader(c, "Access-Control-Allow-Origin", "*");
    return c.json(authorizationServerMetadata(ctx));
  };
  app.get("/.well-known/oauth-authorization-server", serve);
  app.get("/.well-known/openid-configuration", serve);
  app.get("/.well-known/oauth-protected-resource/*", (c) => {
    throw new WardError("protected_resource_metadata_on_authorization_server", { path: c.req.path, issuer: ctx.issuer });
  });
  app.get("/.well-known/oauth-protected-resource", (c) => {
    throw new WardError("protected_resource_metadata_on_authorization_server", { path: c.req.path, issuer: ctx.issuer });
  });
}
