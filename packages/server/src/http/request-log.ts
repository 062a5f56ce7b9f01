import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { WardEnv } from "./context.js";
import { setHeader } from "./response-headers.js";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Gives each request an id (an incoming `X-Request-Id` is kept when it is a safe token), echoes it
 * in the response, and writes one pino line per request: method, path (never the query, which can
 * hold codes and tokens), status and duration.
 */
export function requestLog(logger: Logger): MiddlewareHandler<WardEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ request_id: requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    setHeader(c, "X-Request-Id", requestId);
    await next();
    log.info(
      { method: c.req.method, path: c.req.path, status: c.res.status, duration_ms: Math.round((performance.now() - started) * 10) / 10 },
      "request",
    );
  };
}
