import { WardError } from "@ward/core";
import type { Hono } from "hono";
import { checkScopesAllowedForClient, checkScopesDeclaredOnResource, parseScope, resolveResource } from "../authorize/scopes.js";
import { hashSecret, randomToken } from "../crypto/tokens.js";
import { formatUserCode, newUserCode } from "../device/user-code.js";
import { DEVICE_CODE_GRANT } from "../grants/device-code.js";
import type { WardEnv } from "../http/context.js";
import { allowOnly } from "../http/errors.js";
import { param, readParams } from "../http/params.js";
import { setHeader } from "../http/response-headers.js";
import { authenticateClient } from "../oauth/client-auth.js";
import type { ServerContext } from "../oauth/context.js";
import { recordAuditEvent } from "../store/audit.js";
import { getDeviceCode, insertDeviceCode } from "../store/device-codes.js";
import { transaction } from "../store/transaction.js";
import { oauthError, refuseDisabledGrant, refuseGrantNotAllowed, refuseRepeated } from "./token.js";

/** A user code no pending (or recently expired) device code holds: collisions are rare, but a code must name one request. */
async function unusedUserCode(ctx: ServerContext): Promise<string> {
  for (;;) {
    const code = newUserCode();
    if (!(await getDeviceCode(ctx.db, ctx.tenantId, { user_code_hash: hashSecret(code) }))) return code;
  }
}

/**
 * POST /device_authorization (RFC 8628 §3.1–3.2): the grant is on, the client authenticates as at
 * /token (public clients with client_id alone) and registered the grant, scope and resource pass the
 * same checks as at /authorize. Answers a 256-bit device code and an 8-letter user code (both stored
 * hashed), the verification URIs, expires_in and interval.
 */
export function mountDeviceAuthorization(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.post("/device_authorization", async (c) => {
    try {
      const params = refuseRepeated(await readParams(c));
      refuseDisabledGrant(ctx.config, DEVICE_CODE_GRANT);
      const client = await authenticateClient(c, ctx, params, "/device_authorization");
      refuseGrantNotAllowed(client, DEVICE_CODE_GRANT);
      const scope = parseScope(param(params, "scope", "token_parameter_invalid", 2048));
      const resource = await resolveResource(ctx, params.getAll("resource"), scope);
      checkScopesAllowedForClient(client, scope);
      checkScopesDeclaredOnResource(resource, scope, ctx.issuer);

      const deviceCode = randomToken();
      const userCode = await unusedUserCode(ctx);
      const now = ctx.now();
      const { code_ttl: ttl, interval } = ctx.config.device;
      await transaction(ctx.db, async (trx) => {
        await insertDeviceCode(trx, ctx.tenantId, {
          device_code_hash: hashSecret(deviceCode),
          user_code_hash: hashSecret(userCode),
          client_id: client.client_id,
          scope: scope.join(" "),
          resource: resource?.uri ?? null,
          status: "pending",
          poll_interval: interval,
          last_polled_at: null,
          user_id: null,
          session_id: null,
          auth_time: null,
          amr: null,
          decided_at: null,
          created_at: now,
          expires_at: now + ttl * 1000,
          used_at: null,
          family_id: null,
        });
        await recordAuditEvent(trx, ctx.tenantId, {
          type: "device_code.issued",
          actor: client.client_id,
          subject: client.client_id,
          data: {
            client_id: client.client_id,
            resource: resource?.uri ?? null,
            scopes: scope,
            request_id: c.get("requestId"),
            outcome: "issued",
          },
        });
      });
      const shown = formatUserCode(userCode);
      setHeader(c, "Cache-Control", "no-store");
      setHeader(c, "Pragma", "no-cache");
      return c.json({
        device_code: deviceCode,
        user_code: shown,
        verification_uri: ctx.endpoints.device,
        verification_uri_complete: `${ctx.endpoints.device}?user_code=${shown}`,
        expires_in: ttl,
        interval,
      });
    } catch (error) {
      if (error instanceof WardError) return oauthError(c, ctx, error);
      throw error;
    }
  });
  allowOnly(app, "/device_authorization", ["POST"]);
}
