import { WardError } from "@ward/core";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "../crypto/password.js";
import type { ServerContext } from "../oauth/context.js";
import { recordAuditEvent } from "../store/audit.js";
import { getUserByEmail, normalizeEmail, type UserRecord } from "../store/users.js";
import { AttemptLimiter } from "./throttle.js";

/** The limiter of password attempts on one email (known or not, so a lockout reveals nothing). */
export const passwordLimiter = (ctx: ServerContext, email: string) => new AttemptLimiter(ctx, `email:${normalizeEmail(email)}`);

/**
 * Email + password sign-in. Unknown email and wrong password give the same error after the same
 * scrypt work; attempts are limited per email (`login_locked_out`, with the seconds to wait).
 */
export async function verifyCredentials(
  ctx: ServerContext,
  email: string,
  password: string,
  context: { requestId: string; clientId: string },
): Promise<UserRecord> {
  const limiter = passwordLimiter(ctx, email);
  const attempt = await limiter.begin();
  const user = email.length <= 320 ? await getUserByEmail(ctx.db, ctx.tenantId, email) : undefined;
  const ok = await verifyPassword(password.slice(0, 1024), user?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (!user || !ok) {
    const audit = (locked: boolean) =>
      recordAuditEvent(ctx.db, ctx.tenantId, {
        type: "login.failed",
        actor: user?.id ?? "anonymous",
        subject: normalizeEmail(email).slice(0, 320),
        data: {
          reason: user ? "wrong password" : "unknown email",
          client_id: context.clientId,
          locked,
          request_id: context.requestId,
          outcome: "refused",
        },
      });
    try {
      await limiter.failed(attempt);
    } catch (locked) {
      await audit(true);
      throw locked;
    }
    await audit(false);
    throw new WardError("login_invalid_credentials");
  }
  if (user.disabled) throw new WardError("login_user_disabled");
  await limiter.succeeded();
  return user;
}
