import { WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import { compactVerify, type JWTPayload } from "jose";
import type { WardEnv } from "../http/context.js";
import { csrfToken, csrfValid } from "../http/cookies.js";
import { allowOnly } from "../http/errors.js";
import { param, readParams } from "../http/params.js";
import { currentSession, endSession, type SignedIn } from "../login/browser-session.js";
import type { ServerContext } from "../oauth/context.js";
import { findClient } from "../oauth/find-client.js";
import { publishedKeySet } from "../oauth/verify-access-token.js";
import { recordAuditEvent } from "../store/audit.js";
import type { ClientRecord } from "../store/clients.js";
import { renderErrorPage } from "../ui/error-page.js";
import { MessagePage, SignOutPage } from "../ui/message.js";
import { formTarget, renderPage } from "../ui/render.js";

const CSRF_PURPOSE = "end_session";

/**
 * An id_token_hint must be an ID token this server signed (expiry does not matter: it usually has
 * expired by the time the user signs out, OIDC RP-Initiated Logout §2).
 */
async function verifyIdTokenHint(ctx: ServerContext, hint: string): Promise<JWTPayload> {
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(hint, publishedKeySet(ctx));
  } catch (error) {
    throw new WardError("id_token_hint_invalid", {
      reason: `it is not an ID token signed by one of this server's published keys (${(error as Error).message})`,
    });
  }
  const fail = (reason: string) => new WardError("id_token_hint_invalid", { reason });
  let claims: JWTPayload;
  try {
    claims = JSON.parse(new TextDecoder().decode(verified.payload)) as JWTPayload;
  } catch {
    throw fail("its payload is not JSON");
  }
  if (claims.iss !== ctx.issuer) throw fail(`its iss is ${JSON.stringify(claims.iss)}, not ${ctx.issuer}`);
  const typ = verified.protectedHeader.typ;
  if (typ !== undefined && typ !== "JWT") throw fail(`its typ is ${JSON.stringify(typ)}: it is not an ID token (access tokens are at+jwt)`);
  const audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  if (typeof audience !== "string" || !(await findClient(ctx, audience.slice(0, 256)))) {
    throw fail(`its aud ${JSON.stringify(claims.aud)} is not a client registered here`);
  }
  return claims;
}

interface LogoutRequest {
  client: ClientRecord | undefined;
  hint: JWTPayload | undefined;
  redirect: string | undefined;
  state: string | undefined;
  fields: Record<string, string>;
}

/** The named checks of end_session, in order; failures are pages (never a redirect to an unchecked URI). */
async function validate(ctx: ServerContext, params: URLSearchParams): Promise<LogoutRequest> {
  const rawHint = param(params, "id_token_hint", "authorize_parameter_invalid", 8192);
  const hint = rawHint ? await verifyIdTokenHint(ctx, rawHint) : undefined;
  const hintClient = hint ? (Array.isArray(hint.aud) ? hint.aud[0] : hint.aud) : undefined;
  const clientId = param(params, "client_id", "authorize_parameter_invalid", 256);
  if (hintClient && clientId && hintClient !== clientId) {
    throw new WardError("id_token_hint_invalid", { reason: `it was issued to client ${hintClient}, but client_id is ${clientId}` });
  }
  const id = hintClient ?? clientId;
  const client = id ? await findClient(ctx, id) : undefined;
  const redirect = param(params, "post_logout_redirect_uri", "authorize_parameter_invalid", 2048);
  if (redirect !== undefined) {
    if (!client) throw new WardError("post_logout_redirect_uri_without_client");
    if (!client.post_logout_redirect_uris.includes(redirect)) {
      throw new WardError("post_logout_redirect_uri_unregistered", {
        received: JSON.stringify(redirect),
        client_id: client.client_id,
        registered: client.post_logout_redirect_uris.join(", ") || "(none)",
      });
    }
  }
  const state = param(params, "state", "authorize_parameter_invalid");
  const fields: Record<string, string> = {};
  for (const name of ["id_token_hint", "client_id", "post_logout_redirect_uri", "state"]) {
    const value = params.get(name);
    if (value) fields[name] = value;
  }
  return { client, hint, redirect, state, fields };
}

async function signOut(c: Context<WardEnv>, ctx: ServerContext, request: LogoutRequest, signedIn: SignedIn | undefined): Promise<Response> {
  await endSession(c, ctx, signedIn);
  if (signedIn) {
    await recordAuditEvent(ctx.db, ctx.tenantId, {
      type: "session.ended",
      actor: signedIn.user.id,
      subject: request.client?.client_id ?? null,
      data: { session_id: signedIn.session.id, via: "end_session", request_id: c.get("requestId"), outcome: "signed out" },
    });
  }
  if (request.redirect) {
    const url = new URL(request.redirect);
    if (request.state) url.searchParams.append("state", request.state);
    return c.redirect(url.toString(), 303);
  }
  return renderPage(c, <MessagePage title="Signed out" message="You are signed out of Ward." />);
}

/**
 * GET / POST /end_session (OpenID Connect RP-Initiated Logout 1.0). With an id_token_hint for the
 * signed-in user the session ends at once; otherwise the user confirms (a CSRF-protected form), so a
 * third-party page cannot sign people out.
 */
export function mountEndSession(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.on(["GET", "POST"], "/end_session", async (c) => {
    try {
      const params = await readParams(c);
      const request = await validate(ctx, params);
      const signedIn = await currentSession(c, ctx);
      const confirmed = c.req.method === "POST" && params.get("confirm") === "yes";
      if (confirmed) {
        if (signedIn && !csrfValid(ctx, signedIn.token, CSRF_PURPOSE, params.get("csrf") ?? undefined)) {
          throw new WardError("csrf_token_invalid", {
            reason: params.get("csrf") ? "does not match this browser's session" : "is missing",
          });
        }
        return signOut(c, ctx, request, signedIn);
      }
      if (!signedIn || (request.hint && request.hint.sub === signedIn.user.id)) return signOut(c, ctx, request, signedIn);
      return renderPage(
        c,
        <SignOutPage
          action="/end_session"
          csrf={csrfToken(ctx, signedIn.token, CSRF_PURPOSE)}
          fields={request.fields}
          email={signedIn.user.email}
        />,
        { formTargets: [request.redirect ? formTarget(request.redirect) : undefined] },
      );
    } catch (error) {
      if (error instanceof WardError && error.status < 500) return renderErrorPage(c, ctx.errorsBaseUrl, error);
      throw error;
    }
  });
  allowOnly(app, "/end_session", ["GET", "POST"]);
}
