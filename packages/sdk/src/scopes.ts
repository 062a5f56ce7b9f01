import { WardError } from "@ward/core";
import type { AccessTokenClaims } from "./verifier.js";

/**
 * Throws `insufficient_scope` (403) unless the token carries every scope in `needed`; the error names
 * what is needed and what the token has, and responses built from it carry `scope` for step-up.
 */
export function requireScope(claims: Pick<AccessTokenClaims, "scopes">, ...needed: string[]): void {
  const missing = needed.filter((scope) => !claims.scopes.includes(scope));
  if (missing.length > 0) {
    throw new WardError("insufficient_scope", { required: needed.join(" "), granted: claims.scopes.join(" ") || "(none)" });
  }
}
