import type { Hono } from "hono";
import { z } from "zod";
import type { WardEnv } from "../http/context.js";
import { listAuditEvents } from "../store/audit.js";
import type { AdminContext } from "./context.js";
import { parseBody } from "./validation.js";

const auditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1, "at least 1").max(1000, "at most 1000").default(100),
    type: z.string().min(1).max(100).optional(),
    subject: z.string().min(1).max(320).optional(),
  })
  .strict();

/** GET /admin/v1/audit-events?limit=&type=&subject=: the newest events first (never secrets: none are recorded). */
export function mountAuditRoutes(app: Hono<WardEnv>, ctx: AdminContext): void {
  app.get("/admin/v1/audit-events", async (c) => {
    const query = parseBody(auditQuerySchema, c.req.query());
    const events = await listAuditEvents(ctx.db, ctx.tenantId, query.limit, { type: query.type, subject: query.subject });
    return c.json({ audit_events: events.map((event) => ({ ...event, created_at: new Date(event.created_at).toISOString() })) });
  });
}
