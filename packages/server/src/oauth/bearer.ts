import { WardError } from "@ward/core";
import type { Context } from "hono";
import type { WardEnv } from "../http/context.js";
import { jsonError } from "../http/errors.js";
import type { ServerContext } from "./context.js";

/** The bearer token of a request (RFC 6750 §2.1 header; §2.2 form body for POST); `bearer_token_missing` without one. */
export function bearerToken(c: Context<WardEnv>, params: URLSearchParams | undefined, resource: string): string {
  const header = c.req.header("authorization");
  if (header?.toLowerCase().startsWith("bearer ")) return header.slice(7).trim();
  const fromBody = params?.get("access_token");
  if (fromBody) return fromBody;
  throw new WardError("bearer_token_missing", { resource });
}

const quoted = (value: string) => value.replace(/[\\"]/g, "\\$&").replace(/[^\x20-\x7E]/g, "?");

/** A 401/403 with the RFC 6750 §3 challenge: no error attribute when no token was sent at all. */
export function bearerError(c: Context<WardEnv>, ctx: ServerContext, error: WardError, extra: Record<string, string> = {}): Response {
  const attributes = [`realm="${quoted(ctx.issuer)}"`];
  if (error.code !== "bearer_token_missing") {
    attributes.push(`error="${error.oauthError}"`, `error_description="${quoted(error.message)}"`);
  }
  for (const [name, value] of Object.entries(extra)) attributes.push(`${name}="${quoted(value)}"`);
  return jsonError(c, error, ctx.errorsBaseUrl, { "WWW-Authenticate": `Bearer ${attributes.join(", ")}` });
}
