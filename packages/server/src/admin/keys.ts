import type { Hono } from "hono";
import { z } from "zod";
import type { WardEnv } from "../http/context.js";
import { recordAuditEvent } from "../store/audit.js";
import type { AdminContext } from "./context.js";
import { parseBody, readJson } from "./validation.js";

const rotateSchema = z.object({ force: z.boolean().default(false) }).strict();

export function mountKeyRoutes(app: Hono<WardEnv>, ctx: AdminContext): void {
  app.get("/admin/v1/keys", async (c) => {
    await ctx.keys.load();
    return c.json({ keys: ctx.keys.list() });
  });

  app.post("/admin/v1/keys/rotate", async (c) => {
    const { force } = c.req.header("content-type") ? parseBody(rotateSchema, await readJson(c)) : { force: false };
    const result = await ctx.keys.rotate({ force });
    await recordAuditEvent(ctx.db, ctx.tenantId, {
      type: "keys.rotated",
      actor: "admin",
      subject: result.active,
      data: { ...result, force },
    });
    return c.json({ ...result, keys: ctx.keys.list() });
  });
}
