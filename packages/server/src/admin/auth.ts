import { WardError } from "@ward/core";
import type { MiddlewareHandler } from "hono";
import { constantTimeEqual } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { setHeader } from "../http/response-headers.js";

/** An auth-scheme as RFC 9110 §11.1 spells it (a token); anything else is not shown back. */
const SCHEME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/;

/**
 * What is wrong with an Authorization header, or undefined when it carries the admin key.
 * Never quotes the credentials: only the scheme, and only when it looks like one.
 */
function authorizationProblem(header: string | undefined, apiKey: string): string | undefined {
  if (header === undefined) return "no Authorization header was sent";
  const trimmed = header.trim();
  if (trimmed === "") return "the Authorization header is empty";
  const space = trimmed.search(/\s/);
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  const credentials = space === -1 ? "" : trimmed.slice(space).trim();
  if (scheme.toLowerCase() !== "bearer") {
    if (credentials === "") return "the Authorization header has no scheme (a bare value was sent)";
    return SCHEME.test(scheme)
      ? `the Authorization scheme is ${JSON.stringify(scheme)}, not Bearer`
      : "the Authorization scheme is not Bearer";
  }
  if (credentials === "") return "no key follows Bearer";
  if (!constantTimeEqual(credentials, apiKey)) return "the key sent is not the configured admin key";
  return undefined;
}

/** Requires `Authorization: Bearer <admin.api_key>`, compared in constant time. */
export function adminAuth(apiKey: string): MiddlewareHandler<WardEnv> {
  return async (c, next) => {
    const received = authorizationProblem(c.req.header("authorization"), apiKey);
    if (received === undefined) return next();
    setHeader(c, "WWW-Authenticate", 'Bearer realm="ward-admin"');
    throw new WardError("admin_unauthorized", { received });
  };
}
