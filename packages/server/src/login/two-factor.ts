import { randomBytes } from "node:crypto";
import { base32Decode, base32Encode, otpauthUri, verifyTotp, WardError } from "@ward/core";
import { renderSVG } from "uqr";
import { constantTimeEqual, hashSecret } from "../crypto/tokens.js";
import { open, seal } from "../keys/secret-box.js";
import type { ServerContext } from "../oauth/context.js";
import { recordAuditEvent } from "../store/audit.js";
import { claimTotpStep, consumeRecoveryCode, type UserRecord, updateUser } from "../store/users.js";
import { AttemptLimiter } from "./throttle.js";

const RECOVERY_CODE_COUNT = 10;

const secretContext = (ctx: ServerContext, userId: string) => `totp:${ctx.tenantId}:${userId}`;

export const hasTwoFactor = (user: UserRecord): boolean => Boolean(user.totp_confirmed_at && user.totp_secret_encrypted);

/** `xxxx-xxxx-xxxx` of lowercase base32: easy to read back from paper. */
function newRecoveryCode(): string {
  const text = base32Encode(randomBytes(8)).toLowerCase().slice(0, 12);
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}`;
}

const normalizeRecoveryCode = (code: string) => code.trim().toLowerCase().replace(/[\s-]/g, "");

export interface Enrolment {
  secret: string;
  qrCode: string;
  recoveryCodes: string[];
}

/**
 * A new (unconfirmed) TOTP secret and recovery codes for the user; 2FA turns on only when a first
 * code proves the app has the secret ({@link confirmEnrolment}). Replaces any earlier pending secret.
 */
export async function beginEnrolment(ctx: ServerContext, user: UserRecord): Promise<Enrolment> {
  const secret = base32Encode(randomBytes(20));
  const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await updateUser(ctx.db, ctx.tenantId, user.id, {
    totp_secret_encrypted: seal(ctx.masterKey, secret, secretContext(ctx, user.id)),
    totp_confirmed_at: null,
    totp_last_step: null,
    recovery_codes: recoveryCodes.map((code) => hashSecret(normalizeRecoveryCode(code))),
  });
  return { secret, qrCode: qrDataUrl(otpauthUri({ secret, issuer: new URL(ctx.issuer).host, account: user.email })), recoveryCodes };
}

/** The pending enrolment of the user, shown again (same secret) after a wrong first code. */
export function pendingEnrolment(ctx: ServerContext, user: UserRecord): Pick<Enrolment, "secret" | "qrCode"> | undefined {
  if (!user.totp_secret_encrypted || user.totp_confirmed_at) return undefined;
  const secret = open(ctx.masterKey, user.totp_secret_encrypted, secretContext(ctx, user.id));
  return { secret, qrCode: qrDataUrl(otpauthUri({ secret, issuer: new URL(ctx.issuer).host, account: user.email })) };
}

function qrDataUrl(text: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(renderSVG(text, { border: 2 })).toString("base64")}`;
}

/**
 * Checks a TOTP code (or with `recoveryCode`, a recovery code, which is then used up) for the user.
 * Attempts are limited per user like passwords; a code (and a recovery code) is accepted once, by a
 * compare-and-set, so two requests carrying it cannot both pass.
 */
export async function verifySecondFactor(
  ctx: ServerContext,
  user: UserRecord,
  input: { code?: string | undefined; recoveryCode?: string | undefined },
  options: { confirming: boolean; requestId: string },
): Promise<"otp" | "recovery"> {
  if (!user.totp_secret_encrypted) throw new WardError("two_factor_required");
  const limiter = new AttemptLimiter(ctx, `totp:${user.id}`);
  const attempt = await limiter.begin();
  const now = ctx.now();
  const refuse = async (error: WardError, reason: string): Promise<never> => {
    let left = 0;
    try {
      left = await limiter.failed(attempt);
    } finally {
      await recordAuditEvent(ctx.db, ctx.tenantId, {
        type: "login.failed",
        actor: user.id,
        subject: user.email,
        data: { reason, step: "two_factor", locked: left === 0, request_id: options.requestId, outcome: "refused" },
      });
    }
    throw error.code === "two_factor_code_invalid" ? new WardError("two_factor_code_invalid", { attempts_left: left }) : error;
  };
  if (input.recoveryCode !== undefined && !options.confirming) {
    const hashed = hashSecret(normalizeRecoveryCode(input.recoveryCode.slice(0, 64)));
    const remaining = user.recovery_codes ?? [];
    const match = remaining.find((stored) => constantTimeEqual(stored, hashed));
    if (!match || !(await consumeRecoveryCode(ctx.db, ctx.tenantId, user.id, remaining, match))) {
      return refuse(new WardError("recovery_code_invalid"), "recovery code");
    }
    await limiter.succeeded();
    await recordAuditEvent(ctx.db, ctx.tenantId, {
      type: "login.recovery_code_used",
      actor: user.id,
      data: { remaining: remaining.length - 1, request_id: options.requestId },
    });
    return "recovery";
  }
  const secret = base32Decode(open(ctx.masterKey, user.totp_secret_encrypted, secretContext(ctx, user.id)));
  const code = (input.code ?? "").slice(0, 16);
  const step = verifyTotp(secret, code, now, { lastUsedStep: user.totp_last_step ?? null });
  if (step === undefined || !(await claimTotpStep(ctx.db, ctx.tenantId, user.id, step, options.confirming ? now : undefined))) {
    const reused = verifyTotp(secret, code, now) !== undefined;
    return refuse(
      reused ? new WardError("two_factor_code_reused") : new WardError("two_factor_code_invalid", { attempts_left: 0 }),
      reused ? "reused code" : "wrong code",
    );
  }
  await limiter.succeeded();
  if (options.confirming) {
    await recordAuditEvent(ctx.db, ctx.tenantId, { type: "two_factor.enabled", actor: user.id, data: { request_id: options.requestId } });
  }
  return "otp";
}

/** Turns 2FA off (account page reset); the user enrols again. */
export async function removeTwoFactor(ctx: ServerContext, user: UserRecord): Promise<void> {
  await updateUser(ctx.db, ctx.tenantId, user.id, {
    totp_secret_encrypted: null,
    totp_confirmed_at: null,
    totp_last_step: null,
    recovery_codes: [],
  });
}
