import { WardError } from "@ward/core";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { WardEnv } from "./context.js";

/**
 * Refuses a request body larger than `maxSize` bytes with `body_too_large`. A body with a declared
 * Content-Length (every OAuth form in practice) is judged by that header, which Node's HTTP parser
 * holds the body to, without touching the web `Request` body: on @hono/node-server that keeps
 * `c.req.text()` reading the Node request directly instead of building a `Request` and a
 * `ReadableStream` per request. A chunked body is counted as it streams (hono's bodyLimit).
 */
export function limitBody(maxSize: number): MiddlewareHandler<WardEnv> {
  const tooLarge = (received: string) => new WardError("body_too_large", { received, limit: maxSize });
  const streamed = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge("more than the limit");
    },
  });
  return async (c, next) => {
    if (c.req.header("transfer-encoding") !== undefined) return streamed(c, next);
    const length = c.req.header("content-length");
    if (length !== undefined && !(Number(length) <= maxSize)) throw tooLarge(length);
    await next();
  };
}
