import type { Kysely } from "kysely";
import { hashSecret, randomToken } from "../crypto/tokens.js";
import type { ServerContext } from "../oauth/context.js";
import { recordAuditEvent } from "../store/audit.js";
import type { ClientRecord } from "../store/clients.js";
import { insertAuthorizationCode } from "../store/codes.js";
import { getConsent, saveConsent, touchConsent } from "../store/consents.js";
import type { Database } from "../store/schema.js";
import type { SessionRecord } from "../store/sessions.js";
import { transaction } from "../store/transaction.js";
import type { AuthorizationRequest } from "./request.js";
import { authorizationResponseUrl } from "./respond.js";

export interface ConsentCheck {
  /** True when the consent page must be shown. */
  needed: boolean;
  /** The requested scopes the user has not granted this client (for this resource) yet. */
  missing: string[];
}

/**
 * Whether the user must consent: always with prompt=consent (even for skip_consent clients, OIDC
 * Core §3.1.2.1); never for skip_consent clients otherwise; else when a requested scope is not
 * granted yet, or when nothing was ever granted to this client for this resource (a request with
 * no scope still hands the client the user's identifier).
 */
export async function consentCheck(
  ctx: ServerContext,
  client: ClientRecord,
  request: AuthorizationRequest,
  userId: string,
): Promise<ConsentCheck> {
  const consent = await getConsent(ctx.db, ctx.tenantId, {
    user_id: userId,
    client_id: client.client_id,
    resource: request.resource ?? "",
  });
  const missing = request.scope.filter((scope) => !consent?.scopes.includes(scope));
  if (request.prompt.includes("consent")) return { needed: true, missing };
  if (client.skip_consent) return { needed: false, missing: [] };
  return { needed: !consent || missing.length > 0, missing };
}

/** Saves the consent just given (audit consent.granted), or marks an earlier one used; inside the caller's transaction. */
export async function rememberConsent(
  trx: Kysely<Database>,
  ctx: ServerContext,
  request: AuthorizationRequest,
  userId: string,
  options: { consented: boolean; requestId: string },
): Promise<void> {
  const now = ctx.now();
  const consentKey = { user_id: userId, client_id: request.client_id, resource: request.resource ?? "" };
  if (!options.consented) return touchConsent(trx, ctx.tenantId, consentKey, now);
  await saveConsent(trx, ctx.tenantId, { ...consentKey, scopes: request.scope, created_at: now, updated_at: now, last_used_at: now });
  await recordAuditEvent(trx, ctx.tenantId, {
    type: "consent.granted",
    actor: userId,
    subject: request.client_id,
    data: { client_id: request.client_id, resource: request.resource, scopes: request.scope, request_id: options.requestId },
  });
}

/**
 * Ends an authorization: remembers the consent (when one was given), stores a 256-bit code (hashed)
 * bound to client, redirect_uri, PKCE challenge, resource, nonce and the sign-in, and returns the
 * redirect back to the client with `code`, `state` and `iss`.
 */
export async function issueAuthorizationCode(
  ctx: ServerContext,
  request: AuthorizationRequest,
  session: SessionRecord,
  options: { consented: boolean; requestId: string },
): Promise<string> {
  const code = randomToken();
  const now = ctx.now();
  await transaction(ctx.db, async (trx) => {
    await rememberConsent(trx, ctx, request, session.user_id, options);
    await insertAuthorizationCode(trx, ctx.tenantId, {
      code_hash: hashSecret(code),
      client_id: request.client_id,
      user_id: session.user_id,
      session_id: session.id,
      redirect_uri: request.redirect_uri,
      scope: request.scope.join(" "),
      resource: request.resource,
      code_challenge: request.code_challenge,
      nonce: request.nonce,
      auth_time: session.auth_time,
      amr: session.amr,
      created_at: now,
      expires_at: now + ctx.config.tokens.authorization_code_ttl * 1000,
      used_at: null,
      family_id: null,
      dpop_jkt: request.dpop_jkt ?? null,
    });
    await recordAuditEvent(trx, ctx.tenantId, {
      type: "authorization_code.issued",
      actor: session.user_id,
      subject: request.client_id,
      data: {
        client_id: request.client_id,
        resource: request.resource,
        scopes: request.scope,
        request_id: options.requestId,
        outcome: "issued",
      },
    });
  });
  return authorizationResponseUrl(ctx, { redirect_uri: request.redirect_uri, state: request.state }, { code });
}
