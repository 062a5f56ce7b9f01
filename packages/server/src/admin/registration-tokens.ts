import { WardError } from "@ward/core";
import type { Hono } from "hono";
import { z } from "zod";
import { hashSecret, randomId, randomToken } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { setHeader } from "../http/response-headers.js";
import { recordAuditEvent } from "../store/audit.js";
import {
  deleteRegistrationToken,
  insertRegistrationToken,
  listRegistrationTokens,
  type RegistrationToken,
} from "../store/registrations.js";
import type { AdminContext } from "./context.js";
import { parseBody, readJson } from "./validation.js";

const createSchema = z
  .object({
    description: z.string().min(1).max(200).optional(),
    expires_in: z
      .number()
      .int()
      .min(60, "at least 60 seconds")
      .max(365 * 86400, "at most 365 days")
      .optional(),
    uses: z.number().int().min(1, "at least 1").max(1_000_000).optional(),
  })
  .strict();

function present(token: RegistrationToken): Record<string, unknown> {
  return {
    ...token,
    expires_at: token.expires_at === null ? null : new Date(token.expires_at).toISOString(),
    created_at: new Date(token.created_at).toISOString(),
  };
}

/**
 * Initial access tokens for registration.policy initial_access_token (RFC 7591 §3): created with an
 * optional lifetime and number of uses, shown once, stored hashed; listed and deleted by id.
 */
export function mountRegistrationTokenRoutes(app: Hono<WardEnv>, ctx: AdminContext): void {
  app.post("/admin/v1/registration-tokens", async (c) => {
    const input = c.req.header("content-type") ? parseBody(createSchema, await readJson(c)) : {};
    const secret = randomToken(32);
    const now = Date.now();
    const token: RegistrationToken = {
      id: randomId("rat"),
      description: input.description ?? null,
      expires_at: input.expires_in === undefined ? null : now + input.expires_in * 1000,
      uses_left: input.uses ?? null,
      uses: 0,
      created_at: now,
    };
    await ctx.db.transaction().execute(async (trx) => {
      await insertRegistrationToken(trx, ctx.tenantId, { ...token, token_hash: hashSecret(secret) });
      await recordAuditEvent(trx, ctx.tenantId, { type: "registration_token.created", actor: "admin", subject: token.id, data: {} });
    });
    setHeader(c, "Cache-Control", "no-store");
    return c.json({ ...present(token), token: secret }, 201);
  });

  app.get("/admin/v1/registration-tokens", async (c) =>
    c.json({ registration_tokens: (await listRegistrationTokens(ctx.db, ctx.tenantId)).map(present) }),
  );

  app.delete("/admin/v1/registration-tokens/:id", async (c) => {
    const id = c.req.param("id");
    const deleted = await ctx.db.transaction().execute(async (trx) => {
      const removed = await deleteRegistrationToken(trx, ctx.tenantId, id);
      if (removed) await recordAuditEvent(trx, ctx.tenantId, { type: "registration_token.deleted", actor: "admin", subject: id, data: {} });
      return removed;
    });
    if (!deleted) throw new WardError("registration_token_not_found", { id: JSON.stringify(id.slice(0, 100)) });
    return c.body(null, 204);
  });
}
