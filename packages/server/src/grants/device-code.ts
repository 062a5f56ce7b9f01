import { WardError } from "@ward/core";
import { hashSecret } from "../crypto/tokens.js";
import { param } from "../http/params.js";
import type { ServerContext } from "../oauth/context.js";
import { formatAge } from "../oauth/format.js";
import type { TokenResponse } from "../oauth/issue.js";
import { issueForUserGrant } from "../oauth/redeem.js";
import type { ClientRecord } from "../store/clients.js";
import { claimDeviceCodeQuery, type DeviceCodeRecord, getDeviceCode, lengthenInterval, recordPoll } from "../store/device-codes.js";
import { getUser } from "../store/users.js";
import type { GrantRequest } from "./authorization-code.js";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval the device must keep. */
const SLOW_DOWN_STEP_S = 5;

/** The named checks of the device code grant (RFC 8628 §3.4–3.5), in order. */
const checks = {
  codePresent: (params: URLSearchParams) => {
    const code = param(params, "device_code", "token_parameter_invalid", 256);
    if (!code) throw new WardError("token_parameter_missing", { endpoint: `grant_type=${DEVICE_CODE_GRANT}`, parameter: "device_code" });
    return code;
  },
  codeKnown: async (ctx: ServerContext, code: string) => {
    const record = await getDeviceCode(ctx.db, ctx.tenantId, { device_code_hash: hashSecret(code) });
    if (!record) throw new WardError("device_code_invalid");
    return record;
  },
  boundToClient: (code: DeviceCodeRecord, client: ClientRecord) => {
    if (code.client_id !== client.client_id)
      throw new WardError("device_code_client_mismatch", { expected: code.client_id, received: client.client_id });
  },
  notRedeemed: (ctx: ServerContext, code: DeviceCodeRecord) => {
    if (code.used_at !== null) throw new WardError("device_code_already_redeemed", { age: formatAge(ctx.now() - code.used_at) });
  },
  notExpired: (ctx: ServerContext, code: DeviceCodeRecord) => {
    const now = ctx.now();
    if (code.expires_at <= now) throw new WardError("device_code_expired", { ago: formatAge(now - code.expires_at) });
  },
  /** Only while the user has not decided: a poll sooner than the interval is slow_down, and the interval grows. */
  pacedWhilePending: async (ctx: ServerContext, code: DeviceCodeRecord) => {
    if (code.status !== "pending") return;
    const now = ctx.now();
    const tooSoon = code.last_polled_at !== null && now - code.last_polled_at < code.poll_interval * 1000;
    const interval = await recordPoll(
      ctx.db,
      ctx.tenantId,
      code.device_code_hash,
      code.last_polled_at,
      now,
      tooSoon ? SLOW_DOWN_STEP_S : 0,
    );
    if (interval !== undefined) {
      if (tooSoon) throw new WardError("device_slow_down", { interval });
      return;
    }
    // Another poll of this code landed in between: polling in parallel is polling too fast.
    throw new WardError("device_slow_down", {
      interval: await lengthenInterval(ctx.db, ctx.tenantId, code.device_code_hash, SLOW_DOWN_STEP_S),
    });
  },
  decided: (ctx: ServerContext, code: DeviceCodeRecord) => {
    if (code.status === "pending") throw new WardError("device_authorization_pending", { verification_uri: ctx.endpoints.device });
    if (code.status === "denied") throw new WardError("device_access_denied", { client_id: code.client_id });
  },
};

/**
 * grant_type=urn:ietf:params:oauth:grant-type:device_code: the device polls with its device code
 * until the user approved it on /device; tokens are issued once, by the same code as the
 * authorization code grant (refresh tokens under the same rules).
 */
export async function deviceCodeGrant({ ctx, client, params, requestId, dpopJkt }: GrantRequest): Promise<TokenResponse> {
  const code = await checks.codeKnown(ctx, checks.codePresent(params));
  checks.boundToClient(code, client);
  checks.notRedeemed(ctx, code);
  checks.notExpired(ctx, code);
  await checks.pacedWhilePending(ctx, code);
  checks.decided(ctx, code);

  const issued = await issueForUserGrant(
    ctx,
    client,
    {
      user_id: code.user_id as string,
      session_id: code.session_id,
      scope: code.scope,
      resource: code.resource,
      auth_time: code.auth_time ?? code.decided_at ?? ctx.now(),
      amr: code.amr ?? [],
      nonce: null,
    },
    await getUser(ctx.db, ctx.tenantId, code.user_id as string),
    {
      requestId,
      userGone: () => new WardError("device_code_invalid"),
      claim: (familyId, now) => claimDeviceCodeQuery(ctx.db, ctx.tenantId, code.device_code_hash, familyId, now),
      dpopJkt,
    },
  );
  if (issued) return issued;
  throw new WardError("device_code_already_redeemed", { age: formatAge(0) });
}
