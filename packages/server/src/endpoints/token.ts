import { WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import type { WardConfig } from "../config/spec.js";
import { authorizationCodeGrant, type GrantRequest } from "../grants/authorization-code.js";
import { clientCredentialsGrant } from "../grants/client-credentials.js";
import { DEVICE_CODE_GRANT, deviceCodeGrant } from "../grants/device-code.js";
import { JWT_BEARER_GRANT, jwtBearerGrant } from "../grants/jwt-bearer.js";
import { refreshTokenGrant } from "../grants/refresh-token.js";
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from "../grants/token-exchange.js";
import type { WardEnv } from "../http/context.js";
import { allowOnly, jsonError } from "../http/errors.js";
import { readParams, repeatedParameter, shown } from "../http/params.js";
import { jsonResponse } from "../http/response-headers.js";
import { authenticateClient } from "../oauth/client-auth.js";
import type { ServerContext } from "../oauth/context.js";
import { checkClientDpopRequirement, sendCurrentNonce, tokenRequestDpopKey } from "../oauth/dpop.js";
import type { TokenResponse } from "../oauth/issue.js";
import type { ClientRecord } from "../store/clients.js";

/** RFC 6749 §5.1: a token response is never cached. */
const NOT_CACHED = { "cache-control": "no-store", pragma: "no-cache" };

const GRANTS: Record<string, (request: GrantRequest) => Promise<TokenResponse>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  [DEVICE_CODE_GRANT]: deviceCodeGrant,
  [TOKEN_EXCHANGE_GRANT]: tokenExchangeGrant,
  [JWT_BEARER_GRANT]: jwtBearerGrant,
};

/** Grants off unless their configuration key is true (the key is named in grant_type_disabled). */
const OPTIONAL_GRANTS: Record<string, { key: string; enabled: (config: WardConfig) => boolean }> = {
  client_credentials: { key: "grants.client_credentials", enabled: (config) => config.grants.client_credentials },
  [DEVICE_CODE_GRANT]: { key: "grants.device_code", enabled: (config) => config.grants.device_code },
  [TOKEN_EXCHANGE_GRANT]: { key: "grants.token_exchange", enabled: (config) => config.grants.token_exchange },
  [JWT_BEARER_GRANT]: { key: "grants.jwt_bearer", enabled: (config) => config.grants.jwt_bearer },
};

/** The grant types this server serves with this configuration (discovery lists exactly these). */
export function supportedGrants(config: WardConfig): string[] {
  return Object.keys(GRANTS).filter((grant) => OPTIONAL_GRANTS[grant]?.enabled(config) ?? true);
}

/** `grant_type_disabled` when an optional grant's configuration key is off. */
export function refuseDisabledGrant(config: WardConfig, grantType: string): void {
  const optional = Object.hasOwn(OPTIONAL_GRANTS, grantType) ? OPTIONAL_GRANTS[grantType] : undefined;
  if (optional && !optional.enabled(config)) throw new WardError("grant_type_disabled", { received: grantType, config_key: optional.key });
}

/** `grant_type_not_allowed_for_client` unless the client registered the grant. */
export function refuseGrantNotAllowed(client: ClientRecord, grantType: string): void {
  if (!client.grant_types.includes(grantType)) {
    throw new WardError("grant_type_not_allowed_for_client", {
      client_id: client.client_id,
      registered: client.grant_types.join(" "),
      received: grantType,
    });
  }
}

/** Sends an OAuth error; invalid_client answers carry the WWW-Authenticate challenge (RFC 6749 §5.2). */
export function oauthError(c: Context<WardEnv>, ctx: ServerContext, error: WardError): Response {
  const headers: Record<string, string> = { Pragma: "no-cache" };
  if (error.status === 401 && error.oauthError === "invalid_client")
    headers["WWW-Authenticate"] = `Basic realm="${ctx.issuer}", charset="UTF-8"`;
  return jsonError(c, error, ctx.errorsBaseUrl, headers);
}

/** Each parameter at most once (RFC 6749 §3.2; also applied to /revoke and /introspect): no guessing which value counts. */
export function refuseRepeated(params: URLSearchParams): URLSearchParams {
  const repeated = repeatedParameter(params, ["resource"]);
  if (repeated) throw new WardError("token_parameter_repeated", { parameter: repeated.name });
  return params;
}

/**
 * POST /token (RFC 6749 §3.2): parameters once each, grant known, client authenticated and allowed the
 * grant, the DPoP proof (RFC 9449 §5) valid when sent and present when the client requires it.
 */
export function mountToken(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.post("/token", async (c) => {
    try {
      const params = refuseRepeated(await readParams(c));
      const grantType = params.get("grant_type");
      const supported = supportedGrants(ctx.config);
      if (!grantType) throw new WardError("grant_type_missing", { supported: supported.join(", ") });
      const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
      if (!grant) throw new WardError("grant_type_unsupported", { received: shown(grantType), supported: supported.join(", ") });
      refuseDisabledGrant(ctx.config, grantType);
      const client = await authenticateClient(c, ctx, params, "/token");
      refuseGrantNotAllowed(client, grantType);
      const dpopJkt = await tokenRequestDpopKey(c, ctx);
      checkClientDpopRequirement(client, dpopJkt);
      const response = await grant({ ctx, client, params, requestId: c.get("requestId"), dpopJkt });
      sendCurrentNonce(c, ctx);
      return jsonResponse(c, response, 200, NOT_CACHED);
    } catch (error) {
      if (error instanceof WardError) {
        sendCurrentNonce(c, ctx);
        return oauthError(c, ctx, error);
      }
      throw error;
    }
  });
  allowOnly(app, "/token", ["POST"]);
}
