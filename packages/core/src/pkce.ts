import { createHash, timingSafeEqual } from "node:crypto";
import { WardError } from "./errors/ward-error.js";

/** RFC 7636 §4.1: 43-128 characters of the unreserved set. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 challenge: BASE64URL-NOPAD(SHA-256(verifier)), always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** BASE64URL-NOPAD(SHA256(ASCII(verifier))), RFC 7636 §4.2. */
export function s256Challenge(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

export interface AuthorizationPkce {
  client_id: string;
  code_challenge?: string | undefined;
  code_challenge_method?: string | undefined;
}

/**
 * The PKCE checks of an authorization request (RFC 7636 §4.3, OAuth 2.1 §4.1.1): a challenge is
 * required, the method must be S256 (absent means plain, refused), the challenge must have the
 * S256 shape. Returns the catalog error, or undefined when the request is acceptable.
 */
export function checkAuthorizationPkce(request: AuthorizationPkce): WardError | undefined {
  const { code_challenge: challenge, code_challenge_method: method } = request;
  if (challenge === undefined || challenge === "") return new WardError("pkce_challenge_missing", { client_id: request.client_id });
  if (method === undefined || method === "" || method === "plain") {
    return new WardError("pkce_method_plain_refused", { received: method ? "plain" : "absent (RFC 7636 then means plain)" });
  }
  if (method !== "S256") return new WardError("pkce_method_unsupported", { received: JSON.stringify(method) });
  if (!S256_CHALLENGE.test(challenge)) {
    return new WardError("pkce_challenge_malformed", { received: JSON.stringify(challenge.slice(0, 200)), length: challenge.length });
  }
  return undefined;
}

/** Why a verifier breaks RFC 7636 §4.1, or undefined when its shape is fine. */
function verifierDetail(verifier: string): string {
  if (verifier.length < 43) return ", fewer than 43";
  if (verifier.length > 128) return ", more than 128";
  const bad = [...verifier].find((c) => !/[A-Za-z0-9._~-]/.test(c));
  return bad ? ` and contains ${JSON.stringify(bad)}` : "";
}

/**
 * The PKCE checks of a code exchange: a code issued with a challenge needs a well-formed verifier
 * whose S256 hash equals it (compared in constant time); a verifier for a code issued without a
 * challenge is a downgrade (RFC 9700 §4.8.2). Returns the catalog error, or undefined.
 */
export function checkTokenPkce(storedChallenge: string | null | undefined, verifier: string | undefined): WardError | undefined {
  if (!storedChallenge) return verifier === undefined ? undefined : new WardError("pkce_downgrade");
  if (verifier === undefined || verifier === "") return new WardError("pkce_verifier_missing");
  if (!VERIFIER.test(verifier))
    return new WardError("pkce_verifier_malformed", { length: verifier.length, detail: verifierDetail(verifier) });
  const computed = s256Challenge(verifier);
  const same = computed.length === storedChallenge.length && timingSafeEqual(Buffer.from(computed), Buffer.from(storedChallenge));
  return same ? undefined : new WardError("pkce_verifier_mismatch", { computed, expected: storedChallenge });
}
