import { WardError } from "@ward/core";
import type { Context } from "hono";
import { hashSecret, randomId, randomToken, verifySecret } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { INTERACTION_COOKIE, readCookie, setWardCookie } from "../http/cookies.js";
import type { ServerContext } from "../oauth/context.js";
import { formatAge } from "../oauth/format.js";
import type { DeviceCodeRecord } from "../store/device-codes.js";
import { getInteraction, type InteractionRecord, insertInteraction } from "../store/interactions.js";
import type { AuthorizationRequest } from "./request.js";

export type Interaction = InteractionRecord<AuthorizationRequest>;

export const interactionPath = (id: string) => `/interaction/${id}`;

/**
 * Keeps the validated request while the user signs in and consents, bound to this browser: the
 * cookie (scoped to the interaction's own path, so tabs do not collide) holds a secret only this
 * browser has. Returns the page to send the browser to.
 */
export async function startInteraction(
  c: Context<WardEnv>,
  ctx: ServerContext,
  request: AuthorizationRequest,
  signedIn: { user_id: string; session_id: string } | undefined,
): Promise<string> {
  const secret = randomToken();
  const now = ctx.now();
  const ttl = ctx.config.login.interaction_ttl;
  const id = randomId("int");
  await insertInteraction(ctx.db, ctx.tenantId, {
    id,
    browser_hash: hashSecret(secret),
    client_id: request.client_id,
    request,
    user_id: signedIn?.user_id ?? null,
    session_id: signedIn?.session_id ?? null,
    password_verified_at: null,
    created_at: now,
    expires_at: now + ttl * 1000,
  });
  setWardCookie(c, ctx, INTERACTION_COOKIE, secret, { path: interactionPath(id), maxAgeSeconds: ttl });
  return interactionPath(id);
}

/**
 * The interaction of this page, with the browser secret from its cookie. Unknown ids, a missing or
 * foreign cookie and an expired request each have their own catalog error.
 */
export async function loadInteraction(
  c: Context<WardEnv>,
  ctx: ServerContext,
  id: string,
): Promise<{ interaction: Interaction; secret: string }> {
  const interaction = id.length <= 64 ? await getInteraction<AuthorizationRequest>(ctx.db, ctx.tenantId, id) : undefined;
  if (!interaction) throw new WardError("interaction_unknown", { id: JSON.stringify(id.slice(0, 64)) });
  const now = ctx.now();
  if (interaction.expires_at <= now) {
    throw new WardError(
      "authorization_session_expired",
      {
        started_at: new Date(interaction.created_at).toISOString(),
        age: formatAge(now - interaction.created_at),
        lifetime: formatAge(ctx.config.login.interaction_ttl * 1000),
      },
      { details: { restart: restartPath(interaction.request) } },
    );
  }
  const secret = readCookie(c, INTERACTION_COOKIE);
  if (!secret || !verifySecret(secret, interaction.browser_hash)) {
    throw new WardError("session_cookie_missing", {
      path: c.req.path,
      cookie: INTERACTION_COOKIE,
      set_at: new Date(interaction.created_at).toISOString(),
    });
  }
  return { interaction, secret };
}

/**
 * Where a user whose sign-in expired starts again; none for a pushed request, whose request_uri
 * was single use (the client must push again).
 */
function restartPath(request: AuthorizationRequest): string | undefined {
  if (request.purpose === "account") return "/account";
  if (request.purpose === "device") return "/device";
  return request.pushed ? undefined : `/authorize?${request.original_query}`;
}

/**
 * The request of a device approval: the device code's client, scope and resource, consent always
 * asked (prompt=consent: a code typed from a phishing message must not approve silently, RFC 8628
 * §5.4), and the /device page standing in for the redirect URI (nothing is redirected there).
 */
export function deviceApprovalRequest(ctx: ServerContext, device: DeviceCodeRecord): AuthorizationRequest {
  return {
    client_id: device.client_id,
    redirect_uri: ctx.endpoints.device,
    scope: device.scope.split(" ").filter(Boolean),
    resource: device.resource,
    state: null,
    nonce: null,
    code_challenge: "",
    prompt: ["consent"],
    max_age: null,
    login_hint: null,
    ui_locales: null,
    original_query: "",
    purpose: "device",
    device_code_hash: device.device_code_hash,
  };
}

/** The pseudo-request of a sign-in to the account page (same pages, same checks, no client). */
export function accountSignInRequest(ctx: ServerContext): AuthorizationRequest {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    redirect_uri: ctx.endpoints.account,
    scope: [],
    resource: null,
    state: null,
    nonce: null,
    code_challenge: "",
    prompt: ["login"],
    max_age: null,
    login_hint: null,
    ui_locales: null,
    original_query: "",
    purpose: "account",
  };
}

/** Not a registered client: marks account sign-ins in the interactions table. */
export const ACCOUNT_CLIENT_ID = "ward-account";
