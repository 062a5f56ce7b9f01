import { isLoopbackHostname, WardError } from "@ward/core";
import type { Hono } from "hono";
import { z } from "zod";
import { randomId } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { recordAuditEvent } from "../store/audit.js";
import {
  deleteTrustedIssuer,
  getTrustedIssuer,
  getTrustedIssuerByIssuer,
  insertTrustedIssuer,
  listTrustedIssuers,
  type TrustedIssuerRecord,
} from "../store/trusted-issuers.js";
import { publicJwk } from "./client-schema.js";
import type { AdminContext } from "./context.js";
import { type FieldProblem, invalidBody, parseBody, readJson } from "./validation.js";

const idList = z.array(z.string().min(1).max(256)).max(100);

const trustedIssuerSchema = z
  .object({
    issuer: z.string().min(1).max(2000),
    jwks: z.object({ keys: z.array(publicJwk).min(1).max(20) }).optional(),
    jwks_uri: z
      .url({ protocol: /^https?$/, error: "an https URL" })
      .max(2000)
      .optional(),
    client_ids: idList.min(1, "at least one client allowed to redeem this issuer's assertions"),
    resources: z.array(z.string().min(1).max(2000)).min(1, "at least one resource URI tokens may be issued for").max(100),
    subject_mapping: z.enum(["email", "external"]).default("external"),
  })
  .strict();

type TrustedIssuerInput = z.infer<typeof trustedIssuerSchema>;

/** Keys come from exactly one place; a jwks_uri is https (http only on loopback while the issuer is loopback, as for clients). */
function keySourceProblems(input: TrustedIssuerInput, issuerIsLoopback: boolean): FieldProblem[] {
  if (input.jwks && input.jwks_uri) {
    return [{ field: "jwks_uri", received: JSON.stringify(input.jwks_uri), expected: "either jwks or jwks_uri, not both" }];
  }
  if (!input.jwks && !input.jwks_uri)
    return [{ field: "jwks", received: "missing", expected: "jwks or jwks_uri: the issuer's public keys" }];
  if (input.jwks_uri) {
    const url = new URL(input.jwks_uri);
    if (url.protocol === "http:" && !(issuerIsLoopback && isLoopbackHostname(url.hostname))) {
      return [
        {
          field: "jwks_uri",
          received: JSON.stringify(input.jwks_uri),
          expected: "an https URL (http only on loopback while the issuer is loopback)",
        },
      ];
    }
  }
  return [];
}

export function presentTrustedIssuer(record: TrustedIssuerRecord): Record<string, unknown> {
  return { ...record, created_at: new Date(record.created_at).toISOString() };
}

/** By id, or by issuer when the reference looks like a URL. */
async function requireTrustedIssuer(ctx: AdminContext, reference: string): Promise<TrustedIssuerRecord> {
  const found = reference.includes("://")
    ? await getTrustedIssuerByIssuer(ctx.db, ctx.tenantId, reference)
    : await getTrustedIssuer(ctx.db, ctx.tenantId, reference);
  if (!found) throw new WardError("trusted_issuer_not_found", { issuer: reference });
  return found;
}

/** /admin/v1/trusted-issuers: the issuers whose assertions the jwt-bearer grant accepts (create, list, get, delete). */
export function mountTrustedIssuerRoutes(app: Hono<WardEnv>, ctx: AdminContext): void {
  app.post("/admin/v1/trusted-issuers", async (c) => {
    const input = parseBody(trustedIssuerSchema, await readJson(c));
    const problems = keySourceProblems(input, ctx.issuerIsLoopback);
    if (problems.length) throw invalidBody(problems);
    const record: TrustedIssuerRecord = {
      id: randomId("tis"),
      issuer: input.issuer,
      jwks: input.jwks ?? null,
      jwks_uri: input.jwks_uri ?? null,
      client_ids: input.client_ids,
      resources: input.resources,
      subject_mapping: input.subject_mapping,
      created_at: Date.now(),
    };
    await ctx.db.transaction().execute(async (trx) => {
      await insertTrustedIssuer(trx, ctx.tenantId, record);
      await recordAuditEvent(trx, ctx.tenantId, {
        type: "trusted_issuer.created",
        actor: "admin",
        subject: record.id,
        data: { issuer: record.issuer, client_ids: record.client_ids, resources: record.resources },
      });
    });
    return c.json(presentTrustedIssuer(record), 201);
  });

  app.get("/admin/v1/trusted-issuers", async (c) =>
    c.json({ trusted_issuers: (await listTrustedIssuers(ctx.db, ctx.tenantId)).map(presentTrustedIssuer) }),
  );

  app.get("/admin/v1/trusted-issuers/:id", async (c) => c.json(presentTrustedIssuer(await requireTrustedIssuer(ctx, c.req.param("id")))));

  app.delete("/admin/v1/trusted-issuers/:id", async (c) => {
    const existing = await requireTrustedIssuer(ctx, c.req.param("id"));
    await ctx.db.transaction().execute(async (trx) => {
      await deleteTrustedIssuer(trx, ctx.tenantId, existing.id);
      await recordAuditEvent(trx, ctx.tenantId, {
        type: "trusted_issuer.deleted",
        actor: "admin",
        subject: existing.id,
        data: { issuer: existing.issuer },
      });
    });
    return c.body(null, 204);
  });
}
