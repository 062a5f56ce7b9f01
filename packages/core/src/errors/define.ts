import type { ErrorDefinition } from "./types.js";

type Entry = Omit<ErrorDefinition, "code">;

/**
 * Turns `{ code: entry }` into `{ code: { code, ...entry } }` so each code is written once and the
 * object keys stay literal (they become the `ErrorCode` union).
 */
export function defineErrors<const T extends Record<string, Entry>>(
  entries: T,
): { readonly [K in keyof T]: ErrorDefinition & { code: K } } {
  const out: Record<string, ErrorDefinition> = {};
  for (const [code, entry] of Object.entries(entries)) out[code] = { code, ...entry };
  return out as { readonly [K in keyof T]: ErrorDefinition & { code: K } };
}
