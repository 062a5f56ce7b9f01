import { WardError } from "@ward/core";
import type { Hono } from "hono";
import { hashSecret, randomClientId, randomToken } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { setHeader } from "../http/response-headers.js";
import { recordAuditEvent } from "../store/audit.js";
import { revokeEverythingOfClient, revokeWhenTurnedPublic } from "../store/client-grants.js";
import { type ClientRecord, deleteClient, getClient, insertClient, listClients, updateClient } from "../store/clients.js";
import { deleteRegistration } from "../store/registrations.js";
import {
  type ClientMetadata,
  clientConsistencyProblems,
  clientCreateSchema,
  clientUpdateSchema,
  consistencyProblemsBesideSchemaErrors,
  defaultResponseTypes,
} from "./client-schema.js";
import type { AdminContext } from "./context.js";
import { invalidBody, parseBody, readJson } from "./validation.js";

/** The client as the admin API shows it (RFC 7591 names; never the secret hash). */
export function presentClient(client: ClientRecord): Record<string, unknown> {
  const { client_secret_hash, secret_rotated_at, created_at, updated_at, ...metadata } = client;
  return {
    ...metadata,
    client_id_issued_at: Math.floor(created_at / 1000),
    client_secret_expires_at: client_secret_hash ? 0 : undefined,
    has_client_secret: client_secret_hash !== null,
    secret_rotated_at: secret_rotated_at === null ? null : new Date(secret_rotated_at).toISOString(),
    updated_at: new Date(updated_at).toISOString(),
  };
}

function assertConsistent(metadata: ClientMetadata, issuerIsLoopback: boolean): void {
  const problems = clientConsistencyProblems(metadata, issuerIsLoopback);
  if (problems.length > 0) throw invalidBody(problems);
}

/** The metadata of a client created from an empty body: the RFC 7591 defaults. */
function defaultMetadata(): ClientMetadata {
  const defaults = clientCreateSchema.parse({});
  return { ...defaults, response_types: defaultResponseTypes(defaults.grant_types) };
}

/** The stored fields RFC 7591 metadata decides (absent optional fields as null). */
export function metadataFields(metadata: ClientMetadata) {
  return {
    client_name: metadata.client_name ?? null,
    redirect_uris: metadata.redirect_uris,
    post_logout_redirect_uris: metadata.post_logout_redirect_uris,
    grant_types: metadata.grant_types,
    response_types: metadata.response_types,
    token_endpoint_auth_method: metadata.token_endpoint_auth_method,
    scope: metadata.scope ?? null,
    jwks: metadata.jwks ?? null,
    jwks_uri: metadata.jwks_uri ?? null,
    application_type: metadata.application_type,
  };
}

/** A new client's stored form. */
export function newClientRecord(clientId: string, metadata: ClientMetadata, secretHash: string | null, now: number): ClientRecord {
  return {
    client_id: clientId,
    client_secret_hash: secretHash,
    ...metadataFields(metadata),
    skip_consent: metadata.skip_consent,
    require_pushed_authorization_requests: metadata.require_pushed_authorization_requests,
    dpop_bound_access_tokens: metadata.dpop_bound_access_tokens,
    access_token_ttl: metadata.access_token_ttl ?? null,
    id_token_ttl: metadata.id_token_ttl ?? null,
    refresh_token_ttl: metadata.refresh_token_ttl ?? null,
    created_at: now,
    updated_at: now,
    secret_rotated_at: null,
  };
}

export function needsSecret(method: string): boolean {
  return method === "client_secret_basic" || method === "client_secret_post";
}

async function requireClient(ctx: AdminContext, clientId: string): Promise<ClientRecord> {
  const client = await getClient(ctx.db, ctx.tenantId, clientId);
  if (!client) throw new WardError("client_not_found", { client_id: clientId });
  return client;
}

export function mountClientRoutes(app: Hono<WardEnv>, ctx: AdminContext): void {
  app.post("/admin/v1/clients", async (c) => {
    const body = await readJson(c);
    const input = parseBody(clientCreateSchema, body, () =>
      consistencyProblemsBesideSchemaErrors(body, clientCreateSchema, defaultMetadata(), ctx.issuerIsLoopback),
    );
    const metadata: ClientMetadata = {
      ...input,
      response_types: input.response_types ?? defaultResponseTypes(input.grant_types),
    };
    assertConsistent(metadata, ctx.issuerIsLoopback);
    const clientId = input.client_id ?? randomClientId();
    const secret = needsSecret(metadata.token_endpoint_auth_method) ? randomToken(32) : undefined;
    const record = newClientRecord(clientId, metadata, secret ? hashSecret(secret) : null, Date.now());
    await ctx.db.transaction().execute(async (trx) => {
      await insertClient(trx, ctx.tenantId, record);
      await recordAuditEvent(trx, ctx.tenantId, { type: "client.created", actor: "admin", subject: clientId, data: {} });
    });
    setHeader(c, "Cache-Control", "no-store");
    return c.json({ ...presentClient(record), ...(secret ? { client_secret: secret } : {}) }, 201);
  });

  app.get("/admin/v1/clients", async (c) => {
    const clients = await listClients(ctx.db, ctx.tenantId);
    return c.json({ clients: clients.map(presentClient) });
  });

  app.get("/admin/v1/clients/:client_id", async (c) => c.json(presentClient(await requireClient(ctx, c.req.param("client_id")))));

  app.patch("/admin/v1/clients/:client_id", async (c) => {
    const body = await readJson(c);
    const existing = await requireClient(ctx, c.req.param("client_id"));
    const stored: ClientMetadata = {
      client_name: existing.client_name ?? undefined,
      redirect_uris: existing.redirect_uris,
      post_logout_redirect_uris: existing.post_logout_redirect_uris,
      grant_types: existing.grant_types as ClientMetadata["grant_types"],
      response_types: existing.response_types,
      token_endpoint_auth_method: existing.token_endpoint_auth_method as ClientMetadata["token_endpoint_auth_method"],
      scope: existing.scope ?? undefined,
      jwks: (existing.jwks as ClientMetadata["jwks"]) ?? undefined,
      jwks_uri: existing.jwks_uri ?? undefined,
      application_type: existing.application_type,
      skip_consent: existing.skip_consent,
      require_pushed_authorization_requests: existing.require_pushed_authorization_requests ?? false,
      dpop_bound_access_tokens: existing.dpop_bound_access_tokens ?? false,
    };
    const patch = parseBody(clientUpdateSchema, body, () =>
      consistencyProblemsBesideSchemaErrors(body, clientUpdateSchema, stored, ctx.issuerIsLoopback),
    );
    const merged: ClientMetadata = { ...stored, ...patch };
    if (patch.grant_types && !patch.response_types) merged.response_types = defaultResponseTypes(merged.grant_types);
    assertConsistent(merged, ctx.issuerIsLoopback);
    const methodChanged = merged.token_endpoint_auth_method !== existing.token_endpoint_auth_method;
    const secret =
      methodChanged && needsSecret(merged.token_endpoint_auth_method) && !existing.client_secret_hash ? randomToken(32) : undefined;
    const now = Date.now();
    const updated = await ctx.db.transaction().execute(async (trx) => {
      const result = await updateClient(trx, ctx.tenantId, existing.client_id, {
        ...patch,
        response_types: merged.response_types,
        ...(secret ? { client_secret_hash: hashSecret(secret), secret_rotated_at: now } : {}),
        ...(methodChanged && !needsSecret(merged.token_endpoint_auth_method) ? { client_secret_hash: null } : {}),
        updated_at: now,
      });
      const change = {
        client_id: existing.client_id,
        before: existing.token_endpoint_auth_method,
        after: merged.token_endpoint_auth_method,
      };
      const familiesRevoked = await revokeWhenTurnedPublic(trx, ctx.tenantId, change, now);
      await recordAuditEvent(trx, ctx.tenantId, {
        type: "client.updated",
        actor: "admin",
        subject: existing.client_id,
        data: { fields: Object.keys(patch), ...(familiesRevoked ? { families_revoked: familiesRevoked } : {}) },
      });
      return result;
    });
    setHeader(c, "Cache-Control", "no-store");
    return c.json({ ...presentClient(updated ?? existing), ...(secret ? { client_secret: secret } : {}) });
  });

  app.delete("/admin/v1/clients/:client_id", async (c) => {
    const clientId = c.req.param("client_id");
    const deleted = await ctx.db.transaction().execute(async (trx) => {
      const removed = await deleteClient(trx, ctx.tenantId, clientId);
      if (!removed) return false;
      await deleteRegistration(trx, ctx.tenantId, clientId);
      const families = await revokeEverythingOfClient(trx, ctx.tenantId, clientId, "client deleted by an administrator", Date.now());
      await recordAuditEvent(trx, ctx.tenantId, {
        type: "client.deleted",
        actor: "admin",
        subject: clientId,
        data: { families_revoked: families },
      });
      return true;
    });
    if (!deleted) throw new WardError("client_not_found", { client_id: clientId });
    return c.body(null, 204);
  });

  app.post("/admin/v1/clients/:client_id/rotate-secret", async (c) => {
    const client = await requireClient(ctx, c.req.param("client_id"));
    if (!needsSecret(client.token_endpoint_auth_method)) {
      throw new WardError("client_secret_not_applicable", { client_id: client.client_id, method: client.token_endpoint_auth_method });
    }
    const secret = randomToken(32);
    const now = Date.now();
    const updated = await ctx.db.transaction().execute(async (trx) => {
      const result = await updateClient(trx, ctx.tenantId, client.client_id, {
        client_secret_hash: hashSecret(secret),
        secret_rotated_at: now,
        updated_at: now,
      });
      await recordAuditEvent(trx, ctx.tenantId, { type: "client.secret_rotated", actor: "admin", subject: client.client_id, data: {} });
      return result;
    });
    setHeader(c, "Cache-Control", "no-store");
    return c.json({ ...presentClient(updated ?? client), client_secret: secret });
  });
}
