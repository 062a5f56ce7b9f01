import type { Kysely } from "kysely";
import { rememberConsent } from "../authorize/complete.js";
import type { AuthorizationRequest } from "../authorize/request.js";
import type { ServerContext } from "../oauth/context.js";
import { recordAuditEvent } from "../store/audit.js";
import { decideDeviceCode } from "../store/device-codes.js";
import type { Database } from "../store/schema.js";
import type { SessionRecord } from "../store/sessions.js";
import { transaction } from "../store/transaction.js";

type Decision = Parameters<typeof decideDeviceCode>[3];

/**
 * Decides the device code of `request`, only if it is still pending and unexpired (one decision per
 * code), with the audit event (device_code.approved or device_code.denied) and whatever `alsoInside`
 * must be written with it. False when the code was no longer pending (expired, or decided elsewhere).
 */
function decide(
  ctx: ServerContext,
  request: AuthorizationRequest,
  userId: string,
  decision: Decision,
  requestId: string,
  alsoInside: (trx: Kysely<Database>) => Promise<void> = async () => {},
): Promise<boolean> {
  return transaction(ctx.db, async (trx) => {
    if (!(await decideDeviceCode(trx, ctx.tenantId, request.device_code_hash as string, decision, ctx.now()))) return false;
    await alsoInside(trx);
    await recordAuditEvent(trx, ctx.tenantId, {
      type: `device_code.${decision.status}`,
      actor: userId,
      subject: request.client_id,
      data: {
        client_id: request.client_id,
        resource: request.resource,
        scopes: request.scope,
        request_id: requestId,
        outcome: decision.status,
      },
    });
    return true;
  });
}

/** The user allowed the device: it turns approved with the sign-in that approved it, and the consent is remembered. */
export function approveDevice(
  ctx: ServerContext,
  request: AuthorizationRequest,
  session: SessionRecord,
  options: { consented: boolean; requestId: string },
): Promise<boolean> {
  const approval = { user_id: session.user_id, session_id: session.id, auth_time: session.auth_time, amr: session.amr };
  return decide(ctx, request, session.user_id, { status: "approved", approval }, options.requestId, (trx) =>
    rememberConsent(trx, ctx, request, session.user_id, options),
  );
}

/** The user denied the device: its next poll gets access_denied. */
export function denyDevice(ctx: ServerContext, request: AuthorizationRequest, userId: string, requestId: string): Promise<boolean> {
  return decide(ctx, request, userId, { status: "denied", user_id: userId }, requestId);
}
