import type { Hono } from "hono";
import type { WardEnv } from "../http/context.js";
import { recordAuditEvent } from "../store/audit.js";
import type { AdminContext } from "./context.js";

export function mountKeyRoutes(app: Hono<WardEnv>, ctx: AdminContext): void {
  app.get("/admin/v1/keys", async (c) => {
    await ctx.keys.load();
    return c.json({ keys: ctx.keys.list() });
  });

  app.post("/admin/v1/keys/rotate", async (c) => {
    const result = await ctx.keys.rotate();
    await recordAuditEvent(ctx.db, ctx.tenantId, { type: "keys.rotated", actor: "admin", subject: result.active, data: result });
    return c.json({ ...result, keys: ctx.keys.list() });
  });
}
