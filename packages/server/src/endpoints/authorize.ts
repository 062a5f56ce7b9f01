import { WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import { consentCheck, issueAuthorizationCode } from "../authorize/complete.js";
import { startInteraction } from "../authorize/interaction.js";
import { RedirectableError, type ValidatedAuthorization, validateAuthorizationRequest } from "../authorize/request.js";
import { errorResponseUrl } from "../authorize/respond.js";
import { formatScopes } from "../authorize/scopes.js";
import type { WardEnv } from "../http/context.js";
import { allowOnly } from "../http/errors.js";
import { readParams } from "../http/params.js";
import { currentSession, type SignedIn } from "../login/browser-session.js";
import { hasTwoFactor } from "../login/two-factor.js";
import type { ServerContext } from "../oauth/context.js";
import { renderErrorPage } from "../ui/error-page.js";

/**
 * Why the user must go through the sign-in pages, or undefined when the current session will do;
 * with prompt=none, the error that says so (login_required or interaction_required).
 */
function signInNeeded(ctx: ServerContext, validated: ValidatedAuthorization, signedIn: SignedIn | undefined): WardError | undefined {
  if (!signedIn) return new WardError("prompt_none_login_required", { issuer: ctx.issuer });
  const { request } = validated;
  if (request.prompt.includes("login"))
    return new WardError("prompt_none_reauthentication_required", { reason: "prompt=login asks for a fresh sign-in" });
  if (request.max_age !== null && ctx.now() - signedIn.session.auth_time > request.max_age * 1000) {
    return new WardError("prompt_none_reauthentication_required", {
      reason: `max_age=${request.max_age} has passed since the last sign-in (${Math.round((ctx.now() - signedIn.session.auth_time) / 1000)} seconds ago)`,
    });
  }
  if (ctx.config.login.two_factor === "required" && !hasTwoFactor(signedIn.user)) {
    return new WardError("prompt_none_interaction_required", { interaction: "setting up two-factor authentication" });
  }
  return undefined;
}

/**
 * GET and POST /authorize (RFC 6749 §4.1.1, OAuth 2.1, OIDC Core §3.1.2): the checks of
 * authorize/request.ts, then straight back to the client when the session and earlier consent
 * suffice, else the hosted sign-in / two-factor / consent pages. Nothing is ever redirected to a
 * redirect_uri the client did not register.
 */
export function mountAuthorize(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.on(["GET", "POST"], "/authorize", async (c: Context<WardEnv>) => {
    let validated: ValidatedAuthorization;
    try {
      validated = await validateAuthorizationRequest(ctx, await readParams(c));
    } catch (error) {
      if (error instanceof RedirectableError) return c.redirect(errorResponseUrl(ctx, error.target, error.error), 303);
      if (error instanceof WardError) return renderErrorPage(c, ctx.errorsBaseUrl, error);
      throw error;
    }
    const { client, request } = validated;
    const target = { redirect_uri: request.redirect_uri, state: request.state };
    const signedIn = await currentSession(c, ctx);
    const loginReason = signInNeeded(ctx, validated, signedIn);
    const consent =
      signedIn && !loginReason ? await consentCheck(ctx, client, request, signedIn.user.id) : { needed: true, missing: request.scope };

    if (request.prompt.includes("none")) {
      let refusal = loginReason;
      if (!refusal && consent.needed) {
        refusal = new WardError("prompt_none_consent_required", {
          client_id: client.client_id,
          missing: consent.missing.length > 0 ? formatScopes(consent.missing) : "(no scope: the client was never allowed)",
        });
      }
      if (refusal) return c.redirect(errorResponseUrl(ctx, target, refusal), 303);
    }
    if (signedIn && !loginReason && !consent.needed) {
      const location = await issueAuthorizationCode(ctx, request, signedIn.session, { consented: false, requestId: c.get("requestId") });
      return c.redirect(location, 303);
    }
    const page = await startInteraction(
      c,
      ctx,
      request,
      signedIn && !loginReason ? { user_id: signedIn.user.id, session_id: signedIn.session.id } : undefined,
    );
    return c.redirect(page, 303);
  });
  allowOnly(app, "/authorize", ["GET", "POST"]);
}
