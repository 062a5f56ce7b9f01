import { createHash, timingSafeEqual } from "node:crypto";
import { pooledRandomBytes } from "./random-pool.js";

/** A random token of `bytes` bytes of entropy, base64url (256 bits by default). */
export function randomToken(bytes = 32): string {
  return pooledRandomBytes(bytes).toString("base64url");
}

/** An identifier with a readable prefix, e.g. `res_…`, `usr_…` (128 bits). */
export function randomId(prefix: string): string {
  return `${prefix}_${pooledRandomBytes(16).toString("base64url")}`;
}

/**
 * Hash for high-entropy secrets (client secrets, codes, refresh tokens): SHA-256 is enough because
 * they are 256-bit random, never user-chosen. Stored as `sha256:<base64url>`.
 */
export function hashSecret(secret: string): string {
  return `sha256:${createHash("sha256").update(secret, "utf8").digest("base64url")}`;
}

/** Compares a presented secret with a stored {@link hashSecret} value in constant time. */
export function verifySecret(secret: string, stored: string): boolean {
  const presented = Buffer.from(hashSecret(secret), "utf8");
  const expected = Buffer.from(stored, "utf8");
  // Both have the fixed `sha256:` + 43-character form, so comparing lengths first reveals nothing of the secret.
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** Constant-time string equality (both sides hashed first, so lengths leak nothing). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash("sha256").update(a, "utf8").digest();
  const right = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(left, right);
}
