import { DPOP_ALGORITHMS, WardError } from "@ward/core";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { WardEnv } from "../http/context.js";
import { jsonError } from "../http/errors.js";
import type { ServerContext } from "./context.js";

export interface PresentedToken {
  token: string;
  /** The Authorization scheme: DPoP-bound tokens must come with `DPoP` (RFC 9449 §7.1). */
  scheme: "Bearer" | "DPoP";
}

/**
 * The access token of a request: `Authorization: Bearer` or `DPoP` (RFC 6750 §2.1, RFC 9449 §7.1),
 * or the RFC 6750 §2.2 form body for POST (a Bearer token); `bearer_token_missing` without one.
 */
export function presentedToken(c: Context<WardEnv>, params: URLSearchParams | undefined, resource: string): PresentedToken {
  const header = c.req.header("authorization");
  const match = header ? /^(Bearer|DPoP) +(\S+)\s*$/i.exec(header) : null;
  if (match) return { token: match[2] as string, scheme: (match[1] as string).toLowerCase() === "dpop" ? "DPoP" : "Bearer" };
  const fromBody = params?.get("access_token");
  if (fromBody) return { token: fromBody, scheme: "Bearer" };
  throw new WardError("bearer_token_missing", { resource });
}

const quoted = (value: string) => value.replace(/[\\"]/g, "\\$&").replace(/[^\x20-\x7E]/g, "?");

/**
 * A 401/403 with the RFC 6750 §3 challenge: no error attribute when no token was sent at all. DPoP
 * errors use the `DPoP` scheme with `algs` (RFC 9449 §7.1), are 401 there (a bad proof is an
 * authentication failure), and a nonce error carries the current `DPoP-Nonce` (set by the caller).
 */
export function bearerError(c: Context<WardEnv>, ctx: ServerContext, error: WardError, extra: Record<string, string> = {}): Response {
  const dpop = error.code.startsWith("dpop_");
  const attributes = [`realm="${quoted(ctx.issuer)}"`];
  if (error.code !== "bearer_token_missing") {
    attributes.push(`error="${error.oauthError}"`, `error_description="${quoted(error.message)}"`);
  }
  for (const [name, value] of Object.entries(extra)) attributes.push(`${name}="${quoted(value)}"`);
  if (dpop) attributes.push(`algs="${DPOP_ALGORITHMS.join(" ")}"`);
  const challenge = `${dpop ? "DPoP" : "Bearer"} ${attributes.join(", ")}`;
  const status = dpop && error.status === 400 ? 401 : error.status;
  return jsonError(c, error, ctx.errorsBaseUrl, { "WWW-Authenticate": challenge }, status as ContentfulStatusCode);
}
