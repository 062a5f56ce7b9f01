import { errorUri, type WardError } from "@ward/core";
import type { ServerContext } from "../oauth/context.js";
import type { RedirectTarget } from "./request.js";

/**
 * The URL the browser goes back to: the validated redirect_uri (its own query kept) plus the
 * response parameters, `state` echoed and `iss` (RFC 9207) always.
 */
export function authorizationResponseUrl(ctx: ServerContext, target: RedirectTarget, values: Record<string, string>): string {
  const url = new URL(target.redirect_uri);
  for (const [name, value] of Object.entries(values)) url.searchParams.append(name, value);
  if (target.state !== null) url.searchParams.append("state", target.state);
  url.searchParams.append("iss", ctx.issuer);
  return url.toString();
}

/** An error response for the client (RFC 6749 §4.1.2.1), only ever built for a validated redirect_uri. */
export function errorResponseUrl(ctx: ServerContext, target: RedirectTarget, error: WardError): string {
  const values: Record<string, string> = { error: error.oauthError, error_description: error.message };
  const uri = errorUri(ctx.errorsBaseUrl, error.code);
  if (uri) values.error_uri = uri;
  return authorizationResponseUrl(ctx, target, values);
}
