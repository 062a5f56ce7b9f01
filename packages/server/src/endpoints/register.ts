import { getConnInfo } from "@hono/node-server/conninfo";
import { WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import { metadataFields, needsSecret, newClientRecord } from "../admin/clients.js";
import { readJson } from "../admin/validation.js";
import { hashSecret, randomClientId, randomToken, verifySecret } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { allowOnly, jsonError } from "../http/errors.js";
import { setHeader } from "../http/response-headers.js";
import type { ServerContext } from "../oauth/context.js";
import { validateRegistration } from "../registration/metadata.js";
import { recordAuditEvent } from "../store/audit.js";
import { revokeEverythingOfClient, revokeWhenTurnedPublic } from "../store/client-grants.js";
import { type ClientRecord, deleteClient, getClient, insertClient, updateClient } from "../store/clients.js";
import {
  type ClientRegistration,
  deleteRegistration,
  findRegistrationToken,
  getRegistration,
  insertRegistration,
  spendRegistrationToken,
  updateRegistrationMetadata,
} from "../store/registrations.js";
import { recordAttempt } from "../store/throttle.js";

const RATE_WINDOW_MS = 3600_000;

/** The client's address as the socket sees it (a proxy in front makes every client share its address). */
function clientAddress(c: Context<WardEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

function bearer(c: Context<WardEnv>): string | undefined {
  const header = c.req.header("authorization");
  return header && /^bearer /i.test(header) ? header.slice(7).trim() || undefined : undefined;
}

/** The JSON body; a NUL character in it is invalid_client_metadata here (the admin reader calls it admin_invalid_body). */
async function readBody(c: Context<WardEnv>): Promise<unknown> {
  try {
    return await readJson(c);
  } catch (error) {
    if (!(error instanceof WardError) || error.code !== "admin_invalid_body") throw error;
    throw new WardError("registration_metadata_invalid", error.params, { details: error.details });
  }
}

// -- The checks of POST /register, in order --

function policyAllowsRegistration(ctx: ServerContext): void {
  if (ctx.config.registration.policy === "admin_only") {
    throw new WardError("registration_disabled", { config_key: "registration.policy", value: "admin_only" });
  }
}

async function withinRateLimit(ctx: ServerContext, address: string): Promise<void> {
  const limit = ctx.config.registration.rate_limit;
  const { attempts } = await recordAttempt(ctx.db, ctx.tenantId, `registration:${address}`, ctx.now(), RATE_WINDOW_MS);
  if (attempts > limit)
    throw new WardError("registration_rate_limited", { count: attempts - 1, limit, retry_after: RATE_WINDOW_MS / 1000 });
}

/** Under the initial_access_token policy: the hash of a token that can still be spent (spent later, with the insert). */
async function initialAccessTokenValid(c: Context<WardEnv>, ctx: ServerContext): Promise<string | undefined> {
  if (ctx.config.registration.policy !== "initial_access_token") return undefined;
  const token = bearer(c);
  if (!token) throw new WardError("registration_initial_access_token_missing", { endpoint: "/register" });
  const hash = hashSecret(token);
  const found = await findRegistrationToken(ctx.db, ctx.tenantId, hash);
  const invalid = (reason: string) => new WardError("registration_initial_access_token_invalid", { endpoint: "/register", reason });
  if (!found) throw invalid("not a token this server issued (mistyped, or deleted)");
  if (found.expires_at !== null && found.expires_at <= ctx.now()) throw invalid(`expired (at ${new Date(found.expires_at).toISOString()})`);
  if (found.uses_left !== null && found.uses_left <= 0) throw invalid(`used up (all ${found.uses} uses spent)`);
  return hash;
}

// -- Responses --

function registrationClientUri(ctx: ServerContext, clientId: string): string {
  return `${ctx.endpoints.registration}/${encodeURIComponent(clientId)}`;
}

/** The RFC 7591 §3.2.1 / RFC 7592 §3 response: the client's metadata, absent fields left out (never null). */
function clientInformation(ctx: ServerContext, client: ClientRecord, registration: ClientRegistration): Record<string, unknown> {
  const optional = { client_name: client.client_name, scope: client.scope, jwks: client.jwks, jwks_uri: client.jwks_uri };
  return {
    client_id: client.client_id,
    client_id_issued_at: Math.floor(client.created_at / 1000),
    ...(client.client_secret_hash ? { client_secret_expires_at: 0 } : {}),
    registration_client_uri: registrationClientUri(ctx, client.client_id),
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris,
    grant_types: client.grant_types,
    response_types: client.response_types,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    application_type: client.application_type,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== null)),
    ...registration.metadata,
  };
}

function sendError(c: Context<WardEnv>, ctx: ServerContext, error: WardError): Response {
  const headers: Record<string, string> = {};
  if (error.status === 401) headers["WWW-Authenticate"] = `Bearer error="invalid_token", error_description="${error.code}"`;
  if (error.code === "registration_rate_limited") headers["Retry-After"] = String(error.params.retry_after);
  return jsonError(c, error, ctx.errorsBaseUrl, headers);
}

/** Runs a handler, answering catalog errors as RFC 7591 JSON errors. */
function answering(ctx: ServerContext, handler: (c: Context<WardEnv>) => Promise<Response>) {
  return async (c: Context<WardEnv>) => {
    try {
      setHeader(c, "Cache-Control", "no-store");
      return await handler(c);
    } catch (error) {
      if (error instanceof WardError) return sendError(c, ctx, error);
      throw error;
    }
  };
}

/** RFC 7592 §2: the registration of `clientId`, when the request carries its registration access token. */
async function authorizedRegistration(c: Context<WardEnv>, ctx: ServerContext, clientId: string) {
  const token = bearer(c);
  const registration = clientId.length <= 256 ? await getRegistration(ctx.db, ctx.tenantId, clientId) : undefined;
  const client = registration ? await getClient(ctx.db, ctx.tenantId, clientId) : undefined;
  // One answer for an unknown client, a missing token and a wrong one (RFC 7592 §2: no client enumeration).
  if (!token || !registration || !client || !verifySecret(token, registration.access_token_hash)) {
    throw new WardError("registration_access_token_invalid", { client_id: JSON.stringify(clientId.slice(0, 256)) });
  }
  return { registration, client };
}

/** The body of an RFC 7592 update: its client_id must be the client's own, its client_secret (if any) the current one. */
function replacementBody(body: unknown, client: ClientRecord): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  const { client_id, client_secret, ...rest } = body as Record<string, unknown>;
  if (client_id !== client.client_id) {
    throw new WardError("registration_client_id_mismatch", {
      client_id: client.client_id,
      received: client_id === undefined ? "nothing" : JSON.stringify(client_id).slice(0, 300),
    });
  }
  if (
    client_secret !== undefined &&
    (typeof client_secret !== "string" || !client.client_secret_hash || !verifySecret(client_secret, client.client_secret_hash))
  ) {
    throw new WardError("registration_metadata_invalid", {
      count: 1,
      summary: "client_secret: received a value that is not the current secret, expected the current client_secret or no client_secret",
    });
  }
  return rest;
}

/**
 * Dynamic client registration (RFC 7591) at POST /register and the client configuration endpoint
 * (RFC 7592) at GET / PUT / DELETE /register/:client_id.
 */
export function mountRegistration(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.post(
    "/register",
    answering(ctx, async (c) => {
      const address = clientAddress(c);
      policyAllowsRegistration(ctx);
      await withinRateLimit(ctx, address);
      const tokenHash = await initialAccessTokenValid(c, ctx);
      const registered = await validateRegistration(ctx, await readBody(c));
      const clientId = randomClientId();
      const secret = needsSecret(registered.metadata.token_endpoint_auth_method) ? randomToken(32) : undefined;
      const accessToken = randomToken(32);
      const now = ctx.now();
      const client = newClientRecord(clientId, registered.metadata, secret ? hashSecret(secret) : null, now);
      const registration = {
        client_id: clientId,
        access_token_hash: hashSecret(accessToken),
        metadata: registered.informational,
        created_at: now,
      };
      await ctx.db.transaction().execute(async (trx) => {
        if (tokenHash && !(await spendRegistrationToken(trx, ctx.tenantId, tokenHash, now))) {
          throw new WardError("registration_initial_access_token_invalid", {
            endpoint: "/register",
            reason: "used up by a concurrent registration",
          });
        }
        await insertClient(trx, ctx.tenantId, client);
        await insertRegistration(trx, ctx.tenantId, registration);
        await recordAuditEvent(trx, ctx.tenantId, {
          type: "client.registered",
          actor: "registration",
          subject: clientId,
          data: { policy: ctx.config.registration.policy, address, client_name: client.client_name },
        });
      });
      return c.json(
        {
          ...clientInformation(ctx, client, registration),
          ...(secret ? { client_secret: secret } : {}),
          registration_access_token: accessToken,
        },
        201,
      );
    }),
  );
  allowOnly(app, "/register", ["POST"]);

  app.get(
    "/register/:client_id",
    answering(ctx, async (c) => {
      const { registration, client } = await authorizedRegistration(c, ctx, c.req.param("client_id") ?? "");
      return c.json(clientInformation(ctx, client, registration));
    }),
  );

  app.put(
    "/register/:client_id",
    answering(ctx, async (c) => {
      const { registration, client } = await authorizedRegistration(c, ctx, c.req.param("client_id") ?? "");
      const registered = await validateRegistration(ctx, replacementBody(await readBody(c), client));
      const method = registered.metadata.token_endpoint_auth_method;
      const secret = needsSecret(method) && !client.client_secret_hash ? randomToken(32) : undefined;
      const now = ctx.now();
      const updated = await ctx.db.transaction().execute(async (trx) => {
        const result = await updateClient(trx, ctx.tenantId, client.client_id, {
          ...metadataFields(registered.metadata),
          ...(secret ? { client_secret_hash: hashSecret(secret), secret_rotated_at: now } : {}),
          ...(needsSecret(method) ? {} : { client_secret_hash: null }),
          updated_at: now,
        });
        await updateRegistrationMetadata(trx, ctx.tenantId, client.client_id, registered.informational);
        const change = { client_id: client.client_id, before: client.token_endpoint_auth_method, after: method };
        const familiesRevoked = await revokeWhenTurnedPublic(trx, ctx.tenantId, change, now);
        await recordAuditEvent(trx, ctx.tenantId, {
          type: "client.registration_updated",
          actor: "registration",
          subject: client.client_id,
          data: { address: clientAddress(c), ...(familiesRevoked ? { families_revoked: familiesRevoked } : {}) },
        });
        return result;
      });
      const current = { ...registration, metadata: registered.informational };
      return c.json({ ...clientInformation(ctx, updated ?? client, current), ...(secret ? { client_secret: secret } : {}) });
    }),
  );

  app.delete(
    "/register/:client_id",
    answering(ctx, async (c) => {
      const { client } = await authorizedRegistration(c, ctx, c.req.param("client_id") ?? "");
      await ctx.db.transaction().execute(async (trx) => {
        await deleteClient(trx, ctx.tenantId, client.client_id);
        await deleteRegistration(trx, ctx.tenantId, client.client_id);
        const families = await revokeEverythingOfClient(
          trx,
          ctx.tenantId,
          client.client_id,
          "client deleted its registration (RFC 7592)",
          ctx.now(),
        );
        await recordAuditEvent(trx, ctx.tenantId, {
          type: "client.registration_deleted",
          actor: "registration",
          subject: client.client_id,
          data: { address: clientAddress(c), families_revoked: families },
        });
      });
      return c.body(null, 204);
    }),
  );
  allowOnly(app, "/register/:client_id", ["GET", "PUT", "DELETE"]);
}
