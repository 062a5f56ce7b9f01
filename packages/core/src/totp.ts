import { createHmac, timingSafeEqual } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding (what authenticator apps expect in otpauth:// URIs). */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes base32 (case-insensitive, spaces and padding ignored); throws on any other character. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not a base32 character: ${JSON.stringify(char)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export interface TotpOptions {
  /** Seconds per step (RFC 6238 X); 30 by default, as every authenticator app uses. */
  period?: number;
  digits?: number;
  algorithm?: "sha1" | "sha256" | "sha512";
}

/** The RFC 6238 time step of a Unix time in milliseconds. */
export function totpStep(nowMs: number, period = 30): number {
  return Math.floor(nowMs / 1000 / period);
}

/** RFC 4226 HOTP value of `counter` (dynamic truncation, zero-padded to `digits`). */
export function hotp(secret: Uint8Array, counter: number, digits = 6, algorithm: TotpOptions["algorithm"] = "sha1"): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac(algorithm ?? "sha1", secret)
    .update(message)
    .digest();
  const offset = (digest[digest.length - 1] as number) & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The TOTP code for a moment (RFC 6238). */
export function totp(secret: Uint8Array, nowMs: number, options: TotpOptions = {}): string {
  return hotp(secret, totpStep(nowMs, options.period ?? 30), options.digits ?? 6, options.algorithm);
}

/**
 * Checks a code against the current step and `window` steps either side (clock drift). Returns the
 * matching step, so the caller can refuse that step (and earlier ones) next time: a code is good
 * once (RFC 6238 §5.2). Undefined when no step matches or the step is not after `lastUsedStep`.
 */
export function verifyTotp(
  secret: Uint8Array,
  code: string,
  nowMs: number,
  options: TotpOptions & { window?: number; lastUsedStep?: number | null } = {},
): number | undefined {
  const digits = options.digits ?? 6;
  const normalized = code.replace(/\s/g, "");
  if (!new RegExp(`^\\d{${digits}}$`).test(normalized)) return undefined;
  const current = totpStep(nowMs, options.period ?? 30);
  const window = options.window ?? 1;
  let matched: number | undefined;
  for (let step = current - window; step <= current + window; step++) {
    const expected = Buffer.from(hotp(secret, step, digits, options.algorithm));
    if (timingSafeEqual(expected, Buffer.from(normalized)) && matched === undefined) matched = step;
  }
  if (matched === undefined) return undefined;
  if (options.lastUsedStep !== undefined && options.lastUsedStep !== null && matched <= options.lastUsedStep) return undefined;
  return matched;
}

/** The key URI authenticator apps read from a QR code (Google Authenticator's otpauth format). */
export function otpauthUri(options: { secret: string; issuer: string; account: string }): string {
  const label = `${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.account)}`;
  const query = new URLSearchParams({ secret: options.secret, issuer: options.issuer, algorithm: "SHA1", digits: "6", period: "30" });
  return `otpauth://totp/${label}?${query.toString()}`;
}
