import { getResourceByUri, type ResourceRecord } from "../store/resources.js";
import type { ServerContext } from "./context.js";

/** The registered resource with this exact URI (kept for database.record_cache_ttl), or undefined. */
export function findResource(ctx: ServerContext, uri: string): Promise<ResourceRecord | undefined> {
  return ctx.records.resources.get(uri, () => getResourceByUri(ctx.db, ctx.tenantId, uri));
}
