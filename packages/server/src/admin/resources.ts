import { isLoopbackHostname, WardError } from "@ward/core";
import type { Hono } from "hono";
import { z } from "zod";
import { randomId } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { recordAuditEvent } from "../store/audit.js";
import {
  deleteResource,
  getResource,
  getResourceByUri,
  insertResource,
  listResources,
  type ResourceRecord,
  updateResource,
} from "../store/resources.js";
import type { AdminContext } from "./context.js";
import { type FieldProblem, invalidBody, parseBody, readJson } from "./validation.js";

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const scopeSchema = z
  .object({
    name: z.string().regex(SCOPE_TOKEN, "a scope token: printable ASCII without spaces, quotes or backslashes").max(200),
    description: z.string().min(1, "a sentence the consent page shows for this scope").max(500),
  })
  .strict();

const resourceFields = {
  uri: z.string().max(2000),
  scopes: z.array(scopeSchema).max(200),
  access_token_ttl: z
    .number()
    .int()
    .min(60, "at least 60 seconds")
    .max(86400, "at most 86400 seconds (24 h); use refresh tokens for longer sessions"),
  introspection_clients: z.array(z.string().min(1).max(256)).max(50),
  /** Tokens for this resource are only issued DPoP-bound (RFC 9449). */
  dpop_required: z.boolean(),
  token_exchange_clients: z.array(z.string().min(1).max(256)).max(50),
  may_act: z.string().min(1).max(256).nullable(),
};

const resourceCreateSchema = z
  .object({
    ...resourceFields,
    scopes: resourceFields.scopes.default([]),
    access_token_ttl: resourceFields.access_token_ttl.optional(),
    introspection_clients: resourceFields.introspection_clients.default([]),
    dpop_required: resourceFields.dpop_required.default(false),
    token_exchange_clients: resourceFields.token_exchange_clients.default([]),
    may_act: resourceFields.may_act.default(null),
  })
  .strict();
const resourceUpdateSchema = z.object(resourceFields).partial().strict();

/** RFC 8707 §2: an absolute URI without fragment; https unless loopback (or a loopback issuer). */
function resourceUriProblem(uri: string, issuerIsLoopback: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "an absolute URI such as https://api.example.com/mcp";
  }
  if (uri.includes("#")) return "a URI without a fragment (RFC 8707 §2)";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && (isLoopbackHostname(url.hostname) || issuerIsLoopback)) return undefined;
  return "an https URI (http only on loopback hosts)";
}

/** Problems beyond the schema: the URI rules and unique scope names (each skipped when its field is absent or invalid). */
function resourceProblems(uri: string | undefined, scopes: { name: string }[] | undefined, issuerIsLoopback: boolean): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const uriProblem = uri === undefined ? undefined : resourceUriProblem(uri, issuerIsLoopback);
  if (uri !== undefined && uriProblem) problems.push({ field: "uri", received: JSON.stringify(uri), expected: uriProblem });
  const names = (scopes ?? []).map((s) => s.name);
  const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
  if (duplicates.length) problems.push({ field: "scopes", received: JSON.stringify(duplicates), expected: "each scope name once" });
  return problems;
}

function checkResource(uri: string, scopes: { name: string }[], issuerIsLoopback: boolean): void {
  const problems = resourceProblems(uri, scopes, issuerIsLoopback);
  if (problems.length) throw invalidBody(problems);
}

/** The URI and scope-name problems of whichever of those fields parsed (reported beside schema errors). */
function resourceProblemsBesideSchemaErrors(body: unknown, issuerIsLoopback: boolean): FieldProblem[] {
  const raw = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const uri = resourceFields.uri.safeParse(raw.uri);
  const scopes = resourceFields.scopes.safeParse(raw.scopes);
  return resourceProblems(uri.success ? uri.data : undefined, scopes.success ? scopes.data : undefined, issuerIsLoopback);
}

export function presentResource(resource: ResourceRecord): Record<string, unknown> {
  return {
    id: resource.id,
    uri: resource.uri,
    scopes: resource.scopes,
    access_token_ttl: resource.access_token_ttl,
    introspection_clients: resource.introspection_clients ?? [],
    dpop_required: resource.dpop_required ?? false,
    token_exchange_clients: resource.token_exchange_clients ?? [],
    may_act: resource.may_act ?? null,
    created_at: new Date(resource.created_at).toISOString(),
    updated_at: new Date(resource.updated_at).toISOString(),
  };
}

/** Finds a resource by id, or by URI when the reference looks like one. */
async function requireResource(ctx: AdminContext, reference: string): Promise<ResourceRecord> {
  const resource = reference.includes("://")
    ? await getResourceByUri(ctx.db, ctx.tenantId, reference)
    : await getResource(ctx.db, ctx.tenantId, reference);
  if (!resource) throw new WardError("resource_not_found", { resource: reference });
  return resource;
}

export function mountResourceRoutes(app: Hono<WardEnv>, ctx: AdminContext): void {
  app.post("/admin/v1/resources", async (c) => {
    const body = await readJson(c);
    const input = parseBody(resourceCreateSchema, body, () => resourceProblemsBesideSchemaErrors(body, ctx.issuerIsLoopback));
    checkResource(input.uri, input.scopes, ctx.issuerIsLoopback);
    const now = Date.now();
    const record: ResourceRecord = {
      id: randomId("res"),
      uri: input.uri,
      scopes: input.scopes,
      access_token_ttl: input.access_token_ttl ?? ctx.defaultAccessTokenTtl,
      introspection_clients: input.introspection_clients,
      dpop_required: input.dpop_required,
      token_exchange_clients: input.token_exchange_clients,
      may_act: input.may_act,
      created_at: now,
      updated_at: now,
    };
    await ctx.db.transaction().execute(async (trx) => {
      await insertResource(trx, ctx.tenantId, record);
      await recordAuditEvent(trx, ctx.tenantId, {
        type: "resource.created",
        actor: "admin",
        subject: record.id,
        data: { uri: record.uri },
      });
    });
    return c.json(presentResource(record), 201);
  });

  app.get("/admin/v1/resources", async (c) => {
    const uri = c.req.query("uri");
    if (uri) return c.json({ resources: [presentResource(await requireResource(ctx, uri))] });
    return c.json({ resources: (await listResources(ctx.db, ctx.tenantId)).map(presentResource) });
  });

  app.get("/admin/v1/resources/:id", async (c) => c.json(presentResource(await requireResource(ctx, c.req.param("id")))));

  app.patch("/admin/v1/resources/:id", async (c) => {
    const body = await readJson(c);
    const existing = await requireResource(ctx, c.req.param("id"));
    const patch = parseBody(resourceUpdateSchema, body, () => resourceProblemsBesideSchemaErrors(body, ctx.issuerIsLoopback));
    checkResource(patch.uri ?? existing.uri, patch.scopes ?? existing.scopes, ctx.issuerIsLoopback);
    const updated = await ctx.db.transaction().execute(async (trx) => {
      const result = await updateResource(trx, ctx.tenantId, existing.id, { ...patch, updated_at: Date.now() });
      await recordAuditEvent(trx, ctx.tenantId, {
        type: "resource.updated",
        actor: "admin",
        subject: existing.id,
        data: { fields: Object.keys(patch) },
      });
      return result;
    });
    return c.json(presentResource(updated ?? existing));
  });

  app.delete("/admin/v1/resources/:id", async (c) => {
    const existing = await requireResource(ctx, c.req.param("id"));
    await ctx.db.transaction().execute(async (trx) => {
      await deleteResource(trx, ctx.tenantId, existing.id);
      await recordAuditEvent(trx, ctx.tenantId, {
        type: "resource.deleted",
        actor: "admin",
        subject: existing.id,
        data: { uri: existing.uri },
      });
    });
    return c.body(null, 204);
  });
}
