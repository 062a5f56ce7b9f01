import { WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import { accountSignInRequest, startInteraction } from "../authorize/interaction.js";
import { hashPassword, verifyPassword } from "../crypto/password.js";
import type { WardEnv } from "../http/context.js";
import { csrfToken, csrfValid } from "../http/cookies.js";
import { readParams } from "../http/params.js";
import { currentSession, endSession, type SignedIn } from "../login/browser-session.js";
import { passwordLimiter } from "../login/password-login.js";
import { beginEnrolment, hasTwoFactor, pendingEnrolment, removeTwoFactor, verifySecondFactor } from "../login/two-factor.js";
import type { ServerContext } from "../oauth/context.js";
import { recordAuditEvent } from "../store/audit.js";
import { getClient } from "../store/clients.js";
import { deleteConsents, listUserConsents } from "../store/consents.js";
import { countUserSessions, deleteUserSessions, insertSession } from "../store/sessions.js";
import { familyIdsOfUserClient, revokeFamilies } from "../store/tokens.js";
import { transaction } from "../store/transaction.js";
import { getUser, updateUser } from "../store/users.js";
import { AccountPage, type GrantedApp } from "../ui/account.js";
import { renderErrorPage } from "../ui/error-page.js";
import { renderPage } from "../ui/render.js";
import { EnrolPage, type EnrolPageProps } from "../ui/two-factor.js";

const CSRF_PURPOSE = "account";

const NOTICES: Record<string, string> = {
  password: "Your password was changed; your other browsers were signed out.",
  "two-factor-on": "Two-factor authentication is on.",
  "two-factor-off": "Two-factor authentication is off; your other browsers were signed out.",
  revoked: "The app's access was revoked: it must ask you again.",
  "signed-out-elsewhere": "Your other browsers were signed out.",
};

async function grantedApps(ctx: ServerContext, userId: string): Promise<GrantedApp[]> {
  const apps = new Map<string, GrantedApp>();
  for (const consent of await listUserConsents(ctx.db, ctx.tenantId, userId)) {
    const app = apps.get(consent.client_id) ?? {
      client_id: consent.client_id,
      client_name: (await getClient(ctx.db, ctx.tenantId, consent.client_id))?.client_name ?? consent.client_id,
      scopes: [],
      resources: [],
      last_used_at: 0,
    };
    app.scopes = [...new Set([...app.scopes, ...consent.scopes])];
    if (consent.resource) app.resources.push(consent.resource);
    app.last_used_at = Math.max(app.last_used_at, consent.last_used_at);
    apps.set(consent.client_id, app);
  }
  return [...apps.values()];
}

async function showAccount(c: Context<WardEnv>, ctx: ServerContext, signedIn: SignedIn, error?: WardError): Promise<Response> {
  const { user } = signedIn;
  const notice = NOTICES[c.req.query("done") ?? ""];
  return renderPage(
    c,
    <AccountPage
      csrf={csrfToken(ctx, signedIn.token, CSRF_PURPOSE)}
      email={user.email}
      name={user.name}
      twoFactor={hasTwoFactor(user)}
      recoveryCodesLeft={user.recovery_codes?.length ?? 0}
      apps={await grantedApps(ctx, user.id)}
      otherSessions={(await countUserSessions(ctx.db, ctx.tenantId, user.id)) - 1}
      notice={error ? undefined : notice}
      error={error?.message}
    />,
    { status: error?.status ?? 200 },
  );
}

/**
 * The account page of a signed-in user: two-factor on / reset, password change, the apps they
 * allowed (revoking one kills its refresh families), sign out here or everywhere. Every form is
 * CSRF-protected by a token derived from the session cookie.
 */
export function mountAccount(app: Hono<WardEnv>, ctx: ServerContext): void {
  const signedInOnly =
    (handler: (c: Context<WardEnv>, signedIn: SignedIn, form: URLSearchParams | undefined) => Promise<Response>) =>
    async (c: Context<WardEnv>): Promise<Response> => {
      try {
        const signedIn = await currentSession(c, ctx);
        if (!signedIn) return c.redirect(await startInteraction(c, ctx, accountSignInRequest(ctx), undefined), 303);
        let form: URLSearchParams | undefined;
        if (c.req.method === "POST") {
          form = await readParams(c);
          if (!csrfValid(ctx, signedIn.token, CSRF_PURPOSE, form.get("csrf") ?? undefined)) {
            throw new WardError("csrf_token_invalid", {
              reason: form.get("csrf") ? "does not match this browser's session" : "is missing",
            });
          }
        }
        return await handler(c, signedIn, form);
      } catch (error) {
        if (error instanceof WardError && error.status < 500) return renderErrorPage(c, ctx.errorsBaseUrl, error);
        throw error;
      }
    };
  const audit = (c: Context<WardEnv>, signedIn: SignedIn, type: string, data: Record<string, unknown> = {}) =>
    recordAuditEvent(ctx.db, ctx.tenantId, {
      type,
      actor: signedIn.user.id,
      subject: signedIn.user.id,
      data: { ...data, request_id: c.get("requestId") },
    });

  app.get(
    "/account",
    signedInOnly((c, signedIn) => showAccount(c, ctx, signedIn)),
  );

  /** The current password, checked under the same attempt limit as the sign-in page; undefined when right. */
  const wrongCurrentPassword = async (
    c: Context<WardEnv>,
    signedIn: SignedIn,
    current: string,
    step: string,
  ): Promise<WardError | undefined> => {
    const limiter = passwordLimiter(ctx, signedIn.user.email);
    try {
      const attempt = await limiter.begin();
      if (await verifyPassword(current.slice(0, 1024), signedIn.user.password_hash)) {
        await limiter.succeeded();
        return undefined;
      }
      await audit(c, signedIn, "login.failed", { reason: "wrong current password", step, outcome: "refused" });
      await limiter.failed(attempt);
      return new WardError("login_invalid_credentials");
    } catch (error) {
      if (error instanceof WardError && error.code === "login_locked_out") return error;
      throw error;
    }
  };

  /** Ends every other session of the user (after a password or two-factor change). */
  const endOtherSessions = (signedIn: SignedIn) =>
    transaction(ctx.db, async (trx) => {
      await deleteUserSessions(trx, ctx.tenantId, signedIn.user.id);
      await insertSession(trx, ctx.tenantId, signedIn.session);
    });

  app.post(
    "/account/password",
    signedInOnly(async (c, signedIn, form) => {
      const current = form?.get("current_password") ?? "";
      const next = form?.get("new_password") ?? "";
      const refused = await wrongCurrentPassword(c, signedIn, current, "password change");
      if (refused) return showAccount(c, ctx, signedIn, refused);
      const problem =
        next.length < 8
          ? "has fewer than 8 characters"
          : next.length > 1024
            ? "has more than 1024 characters"
            : next === current
              ? "is the current password"
              : undefined;
      if (problem) return showAccount(c, ctx, signedIn, new WardError("password_policy_violation", { reason: problem }));
      await updateUser(ctx.db, ctx.tenantId, signedIn.user.id, { password_hash: await hashPassword(next) });
      await endOtherSessions(signedIn);
      await audit(c, signedIn, "user.password_changed", { other_sessions_ended: true });
      return c.redirect("/account?done=password", 303);
    }),
  );

  const enrolPage = (c: Context<WardEnv>, signedIn: SignedIn, enrolment: Omit<EnrolPageProps, "action" | "csrf">, status = 200) =>
    renderPage(c, <EnrolPage action="/account/two-factor" csrf={csrfToken(ctx, signedIn.token, CSRF_PURPOSE)} {...enrolment} />, {
      status,
    });

  app.post(
    "/account/two-factor/start",
    signedInOnly(async (c, signedIn) => {
      if (hasTwoFactor(signedIn.user)) return c.redirect("/account", 303);
      return enrolPage(c, signedIn, await beginEnrolment(ctx, signedIn.user));
    }),
  );

  app.post(
    "/account/two-factor",
    signedInOnly(async (c, signedIn, form) => {
      if (hasTwoFactor(signedIn.user)) return c.redirect("/account", 303);
      try {
        await verifySecondFactor(
          ctx,
          signedIn.user,
          { code: form?.get("code") ?? undefined },
          { confirming: true, requestId: c.get("requestId") },
        );
        return c.redirect("/account?done=two-factor-on", 303);
      } catch (error) {
        if (!(error instanceof WardError) || error.status >= 500) throw error;
        const user = (await getUser(ctx.db, ctx.tenantId, signedIn.user.id)) ?? signedIn.user;
        const pending = pendingEnrolment(ctx, user);
        if (!pending) return c.redirect("/account", 303);
        return enrolPage(c, signedIn, { ...pending, recoveryCodes: [], error: error.message }, error.status);
      }
    }),
  );

  app.post(
    "/account/two-factor/reset",
    signedInOnly(async (c, signedIn, form) => {
      const refused = await wrongCurrentPassword(c, signedIn, form?.get("current_password") ?? "", "two-factor reset");
      if (refused) return showAccount(c, ctx, signedIn, refused);
      await removeTwoFactor(ctx, signedIn.user);
      await endOtherSessions(signedIn);
      await audit(c, signedIn, "two_factor.removed", { other_sessions_ended: true });
      if (ctx.config.login.two_factor === "required") {
        return enrolPage(c, signedIn, await beginEnrolment(ctx, (await getUser(ctx.db, ctx.tenantId, signedIn.user.id)) ?? signedIn.user));
      }
      return c.redirect("/account?done=two-factor-off", 303);
    }),
  );

  app.post(
    "/account/apps/revoke",
    signedInOnly(async (c, signedIn, form) => {
      const clientId = (form?.get("client_id") ?? "").slice(0, 256);
      await transaction(ctx.db, async (trx) => {
        await deleteConsents(trx, ctx.tenantId, signedIn.user.id, clientId);
        const families = await familyIdsOfUserClient(trx, ctx.tenantId, signedIn.user.id, clientId);
        const revoked = await revokeFamilies(trx, ctx.tenantId, families, "revoked by the user on the account page", ctx.now());
        await recordAuditEvent(trx, ctx.tenantId, {
          type: "grant.revoked",
          actor: signedIn.user.id,
          subject: clientId,
          data: { client_id: clientId, families: revoked.length, request_id: c.get("requestId"), outcome: "revoked" },
        });
      });
      return c.redirect("/account?done=revoked", 303);
    }),
  );

  app.post(
    "/account/logout",
    signedInOnly(async (c, signedIn) => {
      await endSession(c, ctx, signedIn);
      await audit(c, signedIn, "session.ended", { session_id: signedIn.session.id, via: "account page", outcome: "signed out" });
      return c.redirect("/account", 303);
    }),
  );

  app.post(
    "/account/logout-everywhere",
    signedInOnly(async (c, signedIn) => {
      const ended = await deleteUserSessions(ctx.db, ctx.tenantId, signedIn.user.id);
      await endSession(c, ctx, undefined);
      await audit(c, signedIn, "session.ended", { sessions: ended, via: "account page (everywhere)", outcome: "signed out" });
      return c.redirect("/account", 303);
    }),
  );
}
