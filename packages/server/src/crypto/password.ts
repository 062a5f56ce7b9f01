import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { WardError } from "@ward/core";

/**
 * scrypt cost parameters: N=2^16, r=8, p=2. One of OWASP's equivalent minimum configurations (after
 * N=2^17, p=1): the same work per guess (N·r·p), with 64 MiB per hash instead of 128, so the server's
 * peak memory stays under 200 MB while two hashes run. Hashes stored with other parameters (2^17, 1
 * before) verify with their own, which the hash string carries.
 */
const N = 2 ** 16;
const R = 8;
const P = 2;
const KEY_LENGTH = 32;
const MAX_MEMORY = 256 * 1024 * 1024;
/** Stored parameters outside these bounds are refused instead of being run (a 500 or a memory bomb). */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/**
 * At most this many scrypt derivations run at once (each holds 64 MiB and a libuv thread): a burst
 * of sign-ins queues here instead of taking every thread-pool thread (which fs and other crypto
 * need too) and 64 MiB per thread.
 */
const MAX_CONCURRENT_DERIVATIONS = 2;
/** Beyond this many queued checks a sign-in is refused at once (`sign_in_busy`) instead of waiting for minutes. */
const MAX_WAITING_DERIVATIONS = 32;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `work` in a slot; a finished slot passes straight to the next waiter, so the limit holds exactly. */
async function withDerivationSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running < MAX_CONCURRENT_DERIVATIONS) running++;
  else if (waiting.length >= MAX_WAITING_DERIVATIONS) throw new WardError("sign_in_busy", { waiting: waiting.length });
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return withDerivationSlot(() => deriveNow(password, salt, n, r, p));
}

function deriveNow(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password as `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return ["scrypt", N, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Verifies a password against {@link hashPassword} output in constant time; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return false;
  const [cost, blockSize, parallel] = [Number(n), Number(r), Number(p)];
  const powerOfTwo = Number.isInteger(cost) && cost > 1 && (cost & (cost - 1)) === 0;
  if (!powerOfTwo || cost > MAX_N || !Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_R) return false;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_P) return false;
  const expected = Buffer.from(hash, "base64url");
  try {
    const actual = await derive(password, Buffer.from(salt, "base64url"), cost, blockSize, parallel);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  } catch (error) {
    if (error instanceof WardError) throw error;
    return false;
  }
}

/** A hash of a random password, for spending the same time on unknown users as on known ones. */
export const DUMMY_PASSWORD_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString("base64url")}$${Buffer.alloc(KEY_LENGTH).toString("base64url")}`;
