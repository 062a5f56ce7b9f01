import { WardError } from "@ward/core";
import type { Hono } from "hono";
import { couldBeRefreshToken, hashSecret } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { allowOnly } from "../http/errors.js";
import { param, readParams } from "../http/params.js";
import { jsonResponse } from "../http/response-headers.js";
import { authenticateClient } from "../oauth/client-auth.js";
import type { ServerContext } from "../oauth/context.js";
import { findResource } from "../oauth/find-resource.js";
import { verifyAccessToken } from "../oauth/verify-access-token.js";
import type { ClientRecord } from "../store/clients.js";
import { getRefreshTokenGrant } from "../store/tokens.js";
import { oauthError, refuseRepeated } from "./token.js";

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * The token's own (confidential) client, or a client the token's resource lists in
 * `introspection_clients`. Public clients prove nothing by sending a client_id: never active.
 */
async function mayIntrospect(ctx: ServerContext, caller: ClientRecord, tokenClientId: string, audience: string | null): Promise<boolean> {
  if (caller.token_endpoint_auth_method === "none") return false;
  if (caller.client_id === tokenClientId) return true;
  if (!audience) return false;
  const resource = await findResource(ctx, audience);
  return resource?.introspection_clients?.includes(caller.client_id) ?? false;
}

async function introspect(ctx: ServerContext, caller: ClientRecord, token: string): Promise<Record<string, unknown>> {
  const found = couldBeRefreshToken(token) ? await getRefreshTokenGrant(ctx.db, ctx.tenantId, hashSecret(token)) : undefined;
  if (found) {
    const { refresh, family } = found;
    const now = ctx.now();
    const live = family && family.revoked_at === null && family.expires_at > now && refresh.spent_at === null;
    if (!live || !(await mayIntrospect(ctx, caller, family.client_id, null))) return { active: false };
    return {
      active: true,
      token_type: "refresh_token",
      client_id: family.client_id,
      sub: family.user_id,
      scope: refresh.scope,
      iss: ctx.issuer,
      iat: seconds(refresh.created_at),
      exp: seconds(family.expires_at),
      ...(family.resource ? { aud: family.resource } : {}),
    };
  }
  try {
    const { payload } = await verifyAccessToken(ctx, token);
    const audience = typeof payload.aud === "string" ? payload.aud : null;
    if (!(await mayIntrospect(ctx, caller, payload.client_id, audience))) return { active: false };
    // RFC 9449 §6.2: a bound token's cnf.jkt is in the payload; its type is DPoP.
    const bound = typeof (payload.cnf as { jkt?: unknown } | undefined)?.jkt === "string";
    return { active: true, token_type: bound ? "DPoP" : "Bearer", ...payload };
  } catch (error) {
    if (error instanceof WardError) return { active: false };
    throw error;
  }
}

/**
 * POST /introspect (RFC 7662): authenticated clients only. `active: true` only for the token's own
 * client, or for the resource server client its audience lists; everyone else learns nothing.
 */
export function mountIntrospect(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.post("/introspect", async (c) => {
    try {
      const params = refuseRepeated(await readParams(c));
      const caller = await authenticateClient(c, ctx, params, "/introspect");
      const token = param(params, "token", "token_parameter_invalid", 8192);
      if (!token) throw new WardError("token_parameter_missing", { endpoint: "/introspect", parameter: "token" });
      return jsonResponse(c, await introspect(ctx, caller, token), 200, { "cache-control": "no-store" });
    } catch (error) {
      if (error instanceof WardError) return oauthError(c, ctx, error);
      throw error;
    }
  });
  allowOnly(app, "/introspect", ["POST"]);
}
