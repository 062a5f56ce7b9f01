import type { MiddlewareHandler } from "hono";
import type { RecordCaches } from "../store/record-cache.js";
import type { WardEnv } from "./context.js";

/**
 * After every write through the admin API or RFC 7592 client management (anything but GET/HEAD),
 * drops this instance's cached clients and resources, so its own changes apply at once. Clearing
 * everything keeps it correct for any route, present or future; such writes are rare.
 */
export function forgetCachedRecordsAfterWrites(records: RecordCaches): MiddlewareHandler<WardEnv> {
  return async (c, next) => {
    try {
      await next();
    } finally {
      if (c.req.method !== "GET" && c.req.method !== "HEAD") {
        records.clients.clear();
        records.resources.clear();
      }
    }
  };
}
