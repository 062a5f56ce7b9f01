import { WardError } from "@ward/core";
import type { MiddlewareHandler } from "hono";
import { constantTimeEqual } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";

/** Requires `Authorization: Bearer <admin.api_key>`, compared in constant time. */
export function adminAuth(apiKey: string): MiddlewareHandler<WardEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    let received: string;
    if (!header) received = "no Authorization header was sent";
    else if (!/^Bearer /i.test(header)) received = `the Authorization scheme is ${JSON.stringify(header.split(" ")[0])}, not Bearer`;
    else if (!constantTimeEqual(header.slice(7).trim(), apiKey)) received = "the key sent is not the configured admin key";
    else return next();
    c.header("WWW-Authenticate", 'Bearer realm="ward-admin"');
    throw new WardError("admin_unauthorized", { received });
  };
}
