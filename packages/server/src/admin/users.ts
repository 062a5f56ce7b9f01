import { WardError } from "@ward/core";
import type { Hono } from "hono";
import { z } from "zod";
import { hashPassword } from "../crypto/password.js";
import { randomId } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { recordAuditEvent } from "../store/audit.js";
import { deleteUser, getUser, getUserByEmail, insertUser, listUsers, type UserRecord, updateUser } from "../store/users.js";
import type { AdminContext } from "./context.js";
import { parseBody, readJson } from "./validation.js";

const userFields = {
  email: z.email("an email address such as ada@example.com").max(320),
  password: z.string().min(8, "at least 8 characters").max(1024, "at most 1024 characters"),
  name: z.string().min(1).max(200),
  disabled: z.boolean(),
};

const userCreateSchema = z.object({ email: userFields.email, password: userFields.password, name: userFields.name.optional() }).strict();
const userUpdateSchema = z.object(userFields).partial().strict();

export function presentUser(user: UserRecord): Record<string, unknown> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    disabled: user.disabled,
    created_at: new Date(user.created_at).toISOString(),
    updated_at: new Date(user.updated_at).toISOString(),
  };
}

async function requireUser(ctx: AdminContext, reference: string): Promise<UserRecord> {
  const user = reference.includes("@")
    ? await getUserByEmail(ctx.db, ctx.tenantId, reference)
    : await getUser(ctx.db, ctx.tenantId, reference);
  if (!user) throw new WardError("user_not_found", { user: reference });
  return user;
}

export function mountUserRoutes(app: Hono<WardEnv>, ctx: AdminContext): void {
  app.post("/admin/v1/users", async (c) => {
    const input = parseBody(userCreateSchema, await readJson(c));
    const now = Date.now();
    const record: UserRecord = {
      id: randomId("usr"),
      email: input.email,
      password_hash: await hashPassword(input.password),
      name: input.name ?? null,
      disabled: false,
      created_at: now,
      updated_at: now,
    };
    await ctx.db.transaction().execute(async (trx) => {
      await insertUser(trx, ctx.tenantId, record);
      await recordAuditEvent(trx, ctx.tenantId, { type: "user.created", actor: "admin", subject: record.id, data: {} });
    });
    return c.json(presentUser(record), 201);
  });

  app.get("/admin/v1/users", async (c) => {
    const email = c.req.query("email");
    if (email) return c.json({ users: [presentUser(await requireUser(ctx, email))] });
    return c.json({ users: (await listUsers(ctx.db, ctx.tenantId)).map(presentUser) });
  });

  app.get("/admin/v1/users/:id", async (c) => c.json(presentUser(await requireUser(ctx, c.req.param("id")))));

  app.patch("/admin/v1/users/:id", async (c) => {
    const body = await readJson(c);
    const existing = await requireUser(ctx, c.req.param("id"));
    const { password, ...patch } = parseBody(userUpdateSchema, body);
    const changes = { ...patch, ...(password ? { password_hash: await hashPassword(password) } : {}), updated_at: Date.now() };
    const updated = await ctx.db.transaction().execute(async (trx) => {
      const result = await updateUser(trx, ctx.tenantId, existing.id, changes);
      const type = patch.disabled === true ? "user.disabled" : patch.disabled === false ? "user.enabled" : "user.updated";
      await recordAuditEvent(trx, ctx.tenantId, {
        type,
        actor: "admin",
        subject: existing.id,
        data: { fields: Object.keys(body as object).filter((k) => k in userFields) },
      });
      return result;
    });
    return c.json(presentUser(updated ?? existing));
  });

  app.delete("/admin/v1/users/:id", async (c) => {
    const existing = await requireUser(ctx, c.req.param("id"));
    await ctx.db.transaction().execute(async (trx) => {
      await deleteUser(trx, ctx.tenantId, existing.id);
      await recordAuditEvent(trx, ctx.tenantId, { type: "user.deleted", actor: "admin", subject: existing.id, data: {} });
    });
    return c.body(null, 204);
  });
}
