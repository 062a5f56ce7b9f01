import { WardError } from "@ward/core";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "../crypto/password.js";
import type { ServerContext } from "../oauth/context.js";
import { recordAuditEvent } from "../store/audit.js";
import { clearThrottle, getThrottle, saveThrottle } from "../store/throttle.js";
import { getUserByEmail, normalizeEmail, type UserRecord } from "../store/users.js";

/** Seconds until the throttle on `key` lifts, or 0 when it is not locked. */
export async function lockedFor(ctx: ServerContext, key: string): Promise<number> {
  const state = await getThrottle(ctx.db, ctx.tenantId, key);
  const now = ctx.now();
  return state?.locked_until && state.locked_until > now ? Math.ceil((state.locked_until - now) / 1000) : 0;
}

/** Counts a failure on `key`; returns the failures left before a lockout (0: locked now). */
export async function countFailure(ctx: ServerContext, key: string): Promise<number> {
  const { max_failures: max, lockout_seconds: window } = ctx.config.login;
  const now = ctx.now();
  const state = await getThrottle(ctx.db, ctx.tenantId, key);
  const fresh = !state || now - state.window_started_at > window * 1000;
  const failures = fresh ? 1 : state.failures + 1;
  const locked = failures >= max;
  await saveThrottle(ctx.db, ctx.tenantId, key, {
    failures: locked ? 0 : failures,
    window_started_at: fresh || locked ? now : state.window_started_at,
    locked_until: locked ? now + window * 1000 : null,
  });
  return locked ? 0 : max - failures;
}

export const clearFailures = (ctx: ServerContext, key: string) => clearThrottle(ctx.db, ctx.tenantId, key);

/**
 * Email + password sign-in. Unknown email and wrong password give the same error after the same
 * scrypt work; failures are counted per email (known or not) and lock it out for
 * login.lockout_seconds after login.max_failures (`login_locked_out`, with the seconds to wait).
 */
export async function verifyCredentials(
  ctx: ServerContext,
  email: string,
  password: string,
  context: { requestId: string; clientId: string },
): Promise<UserRecord> {
  const key = `email:${normalizeEmail(email)}`;
  const wait = await lockedFor(ctx, key);
  if (wait > 0) throw new WardError("login_locked_out", { retry_after: wait, attempts: ctx.config.login.max_failures });
  const user = email.length <= 320 ? await getUserByEmail(ctx.db, ctx.tenantId, email) : undefined;
  const ok = await verifyPassword(password.slice(0, 1024), user?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (!user || !ok) {
    const left = await countFailure(ctx, key);
    await recordAuditEvent(ctx.db, ctx.tenantId, {
      type: "login.failed",
      actor: user?.id ?? "anonymous",
      subject: normalizeEmail(email).slice(0, 320),
      data: {
        reason: user ? "wrong password" : "unknown email",
        client_id: context.clientId,
        locked: left === 0,
        request_id: context.requestId,
        outcome: "refused",
      },
    });
    if (left === 0)
      throw new WardError("login_locked_out", { retry_after: ctx.config.login.lockout_seconds, attempts: ctx.config.login.max_failures });
    throw new WardError("login_invalid_credentials");
  }
  if (user.disabled) throw new WardError("login_user_disabled");
  await clearFailures(ctx, key);
  return user;
}
