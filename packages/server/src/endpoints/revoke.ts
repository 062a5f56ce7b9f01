import { WardError } from "@ward/core";
import type { Hono } from "hono";
import { decodeJwt } from "jose";
import { couldBeRefreshToken, hashSecret } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { allowOnly } from "../http/errors.js";
import { param, readParams } from "../http/params.js";
import { setHeader } from "../http/response-headers.js";
import { authenticateClient } from "../oauth/client-auth.js";
import type { ServerContext } from "../oauth/context.js";
import { recordAuditEvent } from "../store/audit.js";
import { getAccessTokenState, getRefreshTokenGrant, revokeAccessToken, revokeFamilies } from "../store/tokens.js";
import { transaction } from "../store/transaction.js";
import { oauthError, refuseRepeated } from "./token.js";

/** The jti of something shaped like one of Ward's access tokens (signature checked by the caller's lookup). */
export function accessTokenJti(token: string): string | undefined {
  try {
    const jti = decodeJwt(token).jti;
    return typeof jti === "string" ? jti : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST /revoke (RFC 7009): a refresh token revokes its whole family (and the family's access
 * tokens); an access token is revoked alone. Only the client the token was issued to can revoke
 * it; anything else (unknown, foreign, already revoked) still answers 200, as §2.2 requires.
 */
export function mountRevoke(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.post("/revoke", async (c) => {
    try {
      const params = refuseRepeated(await readParams(c));
      const client = await authenticateClient(c, ctx, params, "/revoke");
      const token = param(params, "token", "token_parameter_invalid", 8192);
      if (!token) throw new WardError("token_parameter_missing", { endpoint: "/revoke", parameter: "token" });
      const now = ctx.now();
      const refresh = couldBeRefreshToken(token) ? await getRefreshTokenGrant(ctx.db, ctx.tenantId, hashSecret(token)) : undefined;
      const family = refresh?.family;
      await transaction(ctx.db, async (trx) => {
        if (family && family.client_id === client.client_id) {
          const revoked = await revokeFamilies(trx, ctx.tenantId, [family.id], "revoked by the client (RFC 7009)", now);
          if (revoked.length > 0) {
            await recordAuditEvent(trx, ctx.tenantId, {
              type: "token.revoked",
              actor: client.client_id,
              subject: family.user_id,
              data: {
                client_id: client.client_id,
                family_id: family.id,
                token_type: "refresh_token",
                request_id: c.get("requestId"),
                outcome: "revoked",
              },
            });
          }
          return;
        }
        const jti = family ? undefined : accessTokenJti(token);
        const state = jti ? await getAccessTokenState(trx, ctx.tenantId, jti) : undefined;
        if (jti && state && state.client_id === client.client_id && state.revoked_at === null) {
          await revokeAccessToken(trx, ctx.tenantId, jti, now);
          await recordAuditEvent(trx, ctx.tenantId, {
            type: "token.revoked",
            actor: client.client_id,
            subject: null,
            data: {
              client_id: client.client_id,
              access_token_jti: jti,
              token_type: "access_token",
              request_id: c.get("requestId"),
              outcome: "revoked",
            },
          });
        }
      });
      setHeader(c, "Cache-Control", "no-store");
      return c.body(null, 200);
    } catch (error) {
      if (error instanceof WardError) return oauthError(c, ctx, error);
      throw error;
    }
  });
  allowOnly(app, "/revoke", ["POST"]);
}
