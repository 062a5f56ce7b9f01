import { createHmac, randomBytes } from "node:crypto";

/**
 * Server-provided DPoP nonces (RFC 9449 §9) without shared state: a nonce is an HMAC of the current
 * time slot, so every instance with the same secret issues and accepts the same values. The current
 * and the previous slot are accepted (a nonce lives one to two periods).
 */
export class DpopNonces {
  private readonly secret: Buffer;
  private readonly periodMs: number;
  private readonly now: () => number;

  /** Give every instance the same `secret` (a random one suits a single instance). */
  constructor(options: { secret?: string | Buffer; periodSeconds?: number; now?: () => number } = {}) {
    this.secret = options.secret === undefined ? randomBytes(32) : Buffer.from(options.secret);
    this.periodMs = (options.periodSeconds ?? 300) * 1000;
    this.now = options.now ?? Date.now;
  }

  private forSlot(slot: number): string {
    return createHmac("sha256", this.secret).update(`dpop-nonce:${slot}`).digest("base64url").slice(0, 32);
  }

  /** The nonce to hand out now (DPoP-Nonce header). */
  current(): string {
    return this.forSlot(Math.floor(this.now() / this.periodMs));
  }

  accepts(nonce: unknown): boolean {
    if (typeof nonce !== "string") return false;
    const slot = Math.floor(this.now() / this.periodMs);
    return nonce === this.forSlot(slot) || nonce === this.forSlot(slot - 1);
  }
}
