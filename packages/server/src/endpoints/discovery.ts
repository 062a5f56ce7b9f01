import { WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import type { WardEnv } from "../http/context.js";

export interface MetadataContext {
  issuer: string;
}

/**
 * RFC 8414 / OpenID Connect Discovery metadata. It lists only what this build implements; each
 * endpoint adds its own fields here as it lands.
 */
export function authorizationServerMetadata(ctx: MetadataContext): Record<string, unknown> {
  return {
    issuer: ctx.issuer,
    jwks_uri: `${ctx.issuer}/jwks.json`,
    // No grant is served yet (the authorization and token endpoints land next): say so, rather
    // than let clients assume RFC 8414's defaults (authorization_code and implicit).
    response_types_supported: [],
    grant_types_supported: [],
    code_challenge_methods_supported: ["S256"],
    service_documentation: `${ctx.issuer}/errors`,
  };
}

/** `/.well-known/oauth-authorization-server` and `/.well-known/openid-configuration` (same body). */
export function mountDiscovery(app: Hono<WardEnv>, ctx: MetadataContext): void {
  const serve = (c: Context<WardEnv>) => {
    c.header("Cache-Control", "public, max-age=300");
    c.header("Access-Control-Allow-Origin", "*");
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
