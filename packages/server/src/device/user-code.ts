import { randomInt } from "node:crypto";

/** Consonants only: no vowels (no words), no look-alikes (0/O, 1/I/L... only L stays, with no I or 1 beside it). */
export const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
const LENGTH = 8;

/** A new user code, 8 letters (20^8 ≈ 2^34.6), drawn without modulo bias. */
export function newUserCode(): string {
  let code = "";
  for (let i = 0; i < LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** How a user code is shown and typed: XXXX-XXXX. */
export const formatUserCode = (code: string): string => `${code.slice(0, 4)}-${code.slice(4)}`;

/**
 * The code as typed (any case, spaces, dashes or none) in its canonical form, or undefined when it
 * cannot be a user code at all (wrong length or letters outside the alphabet).
 */
export function normalizeUserCode(typed: string): string | undefined {
  if (typed.length > 32) return undefined;
  const code = typed.toUpperCase().replace(/[\s-]/g, "");
  if (code.length !== LENGTH) return undefined;
  return [...code].every((letter) => USER_CODE_ALPHABET.includes(letter)) ? code : undefined;
}
