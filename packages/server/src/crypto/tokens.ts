import { createHash, timingSafeEqual } from "node:crypto";
import { pooledRandomBytes } from "./random-pool.js";

/** A random token of `bytes` bytes of entropy, base64url (256 bits by default). */
export function randomToken(bytes = 32): string {
  return pooledRandomBytes(bytes).toString("base64url");
}

/**
 * A client id Ward generates (admin API, dynamic registration): 128 random bits, base64url, drawn
 * again when it would start with "-" or "_" (1 draw in 32). A leading "-" made the id unusable as
 * a command-line argument: `ward admin clients get -Fz3…` read it as an unknown option.
 */
export function randomClientId(): string {
  for (;;) {
    const id = randomToken(16);
    if (startsAlphanumeric.test(id)) return id;
  }
}
const startsAlphanumeric = /^[A-Za-z0-9]/;

/**
 * Whether `token` can be one of Ward's refresh tokens ({@link randomToken}: base64url, never a
 * dot). A JWT (access token, ID token) cannot, so /introspect and /revoke skip the refresh-token
 * lookup for it: one query fewer per access token.
 */
export const couldBeRefreshToken = (token: string): boolean => !token.includes(".");

/** An identifier with a readable prefix, e.g. `res_…`, `usr_…` (128 bits). */
export function randomId(prefix: string): string {
  return `${prefix}_${pooledRandomBytes(16).toString("base64url")}`;
}

/**
 * An identifier that sorts by creation time, e.g. `at_…` for access-token jtis: 48 bits of
 * milliseconds (12 hex digits, so the text sorts as the time does) then 80 random bits. Rows keyed
 * by it are appended at the end of their primary-key index instead of at a random page, so a batch
 * of inserts dirties a page or two rather than one page per row (a measured share of each issued
 * token's SQLite write). Only for values that are not secret (the time is in the token's `iat`).
 */
export function timeOrderedId(prefix: string, now = Date.now()): string {
  return `${prefix}_${now.toString(16).padStart(12, "0")}${pooledRandomBytes(10).toString("base64url")}`;
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
