import { WardError } from "@ward/core";
import type { ServerContext } from "../oauth/context.js";
import { clearThrottle, getLock, lockThrottle, recordAttempt } from "../store/throttle.js";

/**
 * Attempts on one key (an email, a user's second factor, an IP entering device codes): at most login.max_failures per
 * login.lockout_seconds, then a lock of login.lockout_seconds. Every attempt is counted atomically
 * *before* the expensive check, so parallel guesses cannot all slip under the limit; a success
 * clears the count, unless a lock started meanwhile (then even a right answer is refused).
 */
export class AttemptLimiter {
  constructor(
    private readonly ctx: ServerContext,
    private readonly key: string,
    private readonly limits: { max_failures: number; lockout_seconds: number } = ctx.config.login,
  ) {}

  private locked(until: number): WardError {
    return new WardError("login_locked_out", {
      retry_after: Math.max(1, Math.ceil((until - this.ctx.now()) / 1000)),
      attempts: this.limits.max_failures,
    });
  }

  /** Counts this attempt; throws `login_locked_out` when the key is locked or out of attempts. Returns the attempt number. */
  async begin(): Promise<number> {
    const { max_failures: max, lockout_seconds: lockout } = this.limits;
    const now = this.ctx.now();
    const { attempts, locked_until } = await recordAttempt(this.ctx.db, this.ctx.tenantId, this.key, now, lockout * 1000);
    if (locked_until !== null && locked_until > now) throw this.locked(locked_until);
    if (attempts > max) {
      await lockThrottle(this.ctx.db, this.ctx.tenantId, this.key, now + lockout * 1000);
      throw this.locked(now + lockout * 1000);
    }
    return attempts;
  }

  /** After a wrong answer: the attempts left (0 means the key is now locked, and `login_locked_out` is thrown). */
  async failed(attempt: number): Promise<number> {
    const { max_failures: max, lockout_seconds: lockout } = this.limits;
    if (attempt < max) return max - attempt;
    const until = this.ctx.now() + lockout * 1000;
    await lockThrottle(this.ctx.db, this.ctx.tenantId, this.key, until);
    throw this.locked(until);
  }

  /** After a right answer: refused if a lock started meanwhile, else the count is cleared. */
  async succeeded(): Promise<void> {
    const until = await getLock(this.ctx.db, this.ctx.tenantId, this.key);
    if (until !== null && until > this.ctx.now()) throw this.locked(until);
    await clearThrottle(this.ctx.db, this.ctx.tenantId, this.key);
  }
}
