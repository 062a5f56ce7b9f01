import { DPOP_ALGORITHMS, errorUri, isWardError, toOAuthJson, WardError } from "@ward/core";

export interface ChallengeOptions {
  /** The URL of this resource's Protected Resource Metadata (RFC 9728 §5.1): clients discover the issuer from it. */
  resourceMetadata?: string;
  /** Base of `error_uri` links (the issuer's /errors); omitted when unset. */
  errorsBaseUrl?: string;
}

/**
 * A quoted auth-param value within RFC 6750 §3's character set (%x20-21 / %x23-5B / %x5D-7E: no
 * quote, no backslash) and at most 300 characters: reflected values cannot bloat the header.
 */
const quoted = (value: string) => {
  const clean = value.replace(/["\\]/g, "'").replace(/[^\x20-\x7E]/g, "?");
  return `"${clean.length > 300 ? `${clean.slice(0, 297)}...` : clean}"`;
};

/**
 * The RFC 6750 §3 `WWW-Authenticate: Bearer …` challenge for an error: no `error` attribute when no
 * token was sent (§3.1), `scope` on insufficient_scope (step-up), `resource_metadata` always when
 * configured (RFC 9728 §5.1).
 */
export function wwwAuthenticate(error: WardError, options: ChallengeOptions = {}): string {
  const dpop = isDpopError(error);
  const attributes: string[] = [];
  if (options.resourceMetadata) attributes.push(`resource_metadata=${quoted(options.resourceMetadata)}`);
  if (error.code !== "bearer_token_missing") {
    attributes.push(`error=${quoted(error.oauthError)}`, `error_description=${quoted(error.message)}`);
  }
  if (error.code === "insufficient_scope") attributes.push(`scope=${quoted(String(error.params.required ?? ""))}`);
  if (dpop) attributes.push(`algs=${quoted(DPOP_ALGORITHMS.join(" "))}`);
  const scheme = dpop ? "DPoP" : "Bearer";
  return attributes.length > 0 ? `${scheme} ${attributes.join(", ")}` : scheme;
}

/** Errors about DPoP proofs and binding: answered with the DPoP scheme (RFC 9449 §7.1). */
function isDpopError(error: WardError): boolean {
  return error.code.startsWith("dpop_") || error.oauthError === "invalid_dpop_proof" || error.oauthError === "use_dpop_nonce";
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/**
 * The HTTP answer for a verification failure: status from the catalog (401 / 403; 503 when the
 * issuer is unreachable), the challenge, and the OAuth JSON body with the catalog `code`. Anything
 * that is not a WardError becomes a 500 without details.
 */
export function errorResponse(error: unknown, options: ChallengeOptions = {}): ErrorResponse {
  const wardError = isWardError(error) ? error : new WardError("internal_error", { request_id: "(resource server)" });
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
  // At a resource server a bad proof is an authentication failure (RFC 9449 §7.1: 401), not the token endpoint's 400.
  const status = isDpopError(wardError) && wardError.status === 400 ? 401 : wardError.status;
  if (status === 401 || status === 403) headers["www-authenticate"] = wwwAuthenticate(wardError, options);
  const body = toOAuthJson(wardError, options.errorsBaseUrl) as unknown as Record<string, unknown>;
  if (!options.errorsBaseUrl) delete body.error_uri;
  else body.error_uri = errorUri(options.errorsBaseUrl, wardError.code);
  return { status, headers, body };
}
