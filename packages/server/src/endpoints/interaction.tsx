import { WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import { consentCheck, issueAuthorizationCode } from "../authorize/complete.js";
import { type Interaction, interactionPath, loadInteraction } from "../authorize/interaction.js";
import { errorResponseUrl } from "../authorize/respond.js";
import { describeScopes, formatScopes } from "../authorize/scopes.js";
import { approveDevice, denyDevice } from "../device/decision.js";
import type { WardEnv } from "../http/context.js";
import { csrfToken, csrfValid } from "../http/cookies.js";
import { readParams } from "../http/params.js";
import { startSession } from "../login/browser-session.js";
import { verifyCredentials } from "../login/password-login.js";
import { beginEnrolment, hasTwoFactor, pendingEnrolment, verifySecondFactor } from "../login/two-factor.js";
import type { ServerContext } from "../oauth/context.js";
import { findClient, isMetadataDocumentClient } from "../oauth/find-client.js";
import { recordAuditEvent } from "../store/audit.js";
import { deleteInteraction, updateInteraction } from "../store/interactions.js";
import { getResourceByUri } from "../store/resources.js";
import { getSession } from "../store/sessions.js";
import { getUser, type UserRecord } from "../store/users.js";
import { ConsentPage } from "../ui/consent.js";
import { DeviceResultPage } from "../ui/device.js";
import { renderErrorPage } from "../ui/error-page.js";
import { LoginPage } from "../ui/login.js";
import { formTarget, renderPage } from "../ui/render.js";
import { EnrolPage, TwoFactorPage } from "../ui/two-factor.js";

type Step = "login" | "two-factor" | "enrol" | "consent" | "complete";

/** Retry-After for the errors that ask the user to wait (a lockout, a full password-check queue). */
function retryAfterHeader(error: WardError): Record<string, string> {
  if (error.code === "login_locked_out") return { "Retry-After": String(error.params.retry_after) };
  if (error.code === "sign_in_busy") return { "Retry-After": "5" };
  return {};
}

const CSRF_PURPOSE = "interaction";

interface Loaded {
  interaction: Interaction;
  secret: string;
  user: UserRecord | undefined;
}

async function userOf(ctx: ServerContext, interaction: Interaction): Promise<UserRecord | undefined> {
  return interaction.user_id ? getUser(ctx.db, ctx.tenantId, interaction.user_id) : undefined;
}

/** Where this sign-in stands: what the user must do next. */
async function stepOf(ctx: ServerContext, { interaction, user }: Loaded): Promise<Step> {
  if (!user || user.disabled) return "login";
  if (interaction.session_id) {
    if (interaction.request.purpose === "account") return "complete";
    const client = await findClient(ctx, interaction.client_id);
    if (!client) return "login";
    return (await consentCheck(ctx, client, interaction.request, user.id)).needed ? "consent" : "complete";
  }
  if (interaction.password_verified_at) return hasTwoFactor(user) ? "two-factor" : "enrol";
  return "login";
}

interface ShowOptions {
  error?: WardError | undefined;
  email?: string | undefined;
  headers?: Record<string, string>;
}

/** Renders the page of the current step (or finishes when nothing is left to ask). */
async function show(c: Context<WardEnv>, ctx: ServerContext, loaded: Loaded, options: ShowOptions = {}): Promise<Response> {
  const { interaction, secret, user } = loaded;
  const step = await stepOf(ctx, loaded);
  if (step === "complete") return finish(c, ctx, loaded, false);
  const client = await findClient(ctx, interaction.client_id);
  const clientName = interaction.request.purpose === "account" ? "your Ward account" : (client?.client_name ?? interaction.client_id);
  const common = {
    action: `${interactionPath(interaction.id)}/${step}`,
    csrf: csrfToken(ctx, secret, CSRF_PURPOSE),
    timeLeftMs: interaction.expires_at - ctx.now(),
  };
  const error = options.error?.message;
  const pageOptions = {
    status: options.error?.status ?? 200,
    formTargets: [formTarget(interaction.request.redirect_uri)],
    headers: options.headers ?? {},
  };
  if (step === "login") {
    const email = options.email ?? interaction.request.login_hint ?? undefined;
    return renderPage(c, <LoginPage {...common} clientName={clientName} email={email} error={error} />, pageOptions);
  }
  const account = user as UserRecord;
  if (step === "two-factor") return renderPage(c, <TwoFactorPage {...common} error={error} />, pageOptions);
  if (step === "enrol") {
    const pending = pendingEnrolment(ctx, account);
    if (pending && options.error) {
      return renderPage(c, <EnrolPage {...common} {...pending} recoveryCodes={[]} error={error} />, pageOptions);
    }
    const enrolment = await beginEnrolment(ctx, account);
    return renderPage(c, <EnrolPage {...common} {...enrolment} error={error} />, pageOptions);
  }
  const resource = interaction.request.resource ? await getResourceByUri(ctx.db, ctx.tenantId, interaction.request.resource) : undefined;
  const newScopes = client ? (await consentCheck(ctx, client, interaction.request, account.id)).missing : [];
  return renderPage(
    c,
    <ConsentPage
      {...common}
      clientName={clientName}
      clientId={interaction.client_id}
      redirectHost={redirectHost(interaction.request.redirect_uri)}
      metadataDocumentHost={isMetadataDocumentClient(ctx, interaction.client_id) ? new URL(interaction.client_id).host : undefined}
      userEmail={account.email}
      resource={interaction.request.resource ?? undefined}
      scopes={describeScopes(interaction.request.scope, resource)}
      newScopes={newScopes}
      device={interaction.request.purpose === "device"}
    />,
    pageOptions,
  );
}

/** The device code expired, or another browser decided it, while this user was signing in. */
const deviceCodeGone = () => new WardError("device_user_code_invalid", { received: "(the code entered earlier)" });

function redirectHost(uri: string): string {
  const url = new URL(uri);
  return url.host || `${url.protocol}${url.pathname}`;
}

/** Issues the code (once: the interaction is deleted first, so a double submit cannot issue two). */
async function finish(c: Context<WardEnv>, ctx: ServerContext, { interaction }: Loaded, consented: boolean): Promise<Response> {
  const session = interaction.session_id ? await getSession(ctx.db, ctx.tenantId, interaction.session_id) : undefined;
  if (!session || !(await deleteInteraction(ctx.db, ctx.tenantId, interaction.id))) {
    return renderErrorPage(c, ctx.errorsBaseUrl, new WardError("interaction_unknown", { id: JSON.stringify(interaction.id) }));
  }
  if (interaction.request.purpose === "account") return c.redirect("/account", 303);
  if (interaction.request.purpose === "device") {
    const approved = await approveDevice(ctx, interaction.request, session, { consented, requestId: c.get("requestId") });
    return approved ? renderPage(c, <DeviceResultPage approved />) : renderErrorPage(c, ctx.errorsBaseUrl, deviceCodeGone());
  }
  const location = await issueAuthorizationCode(ctx, interaction.request, session, { consented, requestId: c.get("requestId") });
  return c.redirect(location, 303);
}

async function load(c: Context<WardEnv>, ctx: ServerContext): Promise<Loaded> {
  const { interaction, secret } = await loadInteraction(c, ctx, c.req.param("id") ?? "");
  return { interaction, secret, user: await userOf(ctx, interaction) };
}

/** Reads a POST of a step: the form, after its CSRF token and the current step are checked. */
async function readStepForm(c: Context<WardEnv>, ctx: ServerContext, loaded: Loaded, expected: Step): Promise<URLSearchParams | Response> {
  const params = await readParams(c);
  if (!csrfValid(ctx, loaded.secret, CSRF_PURPOSE, params.get("csrf") ?? undefined)) {
    throw new WardError("csrf_token_invalid", { reason: params.get("csrf") ? "does not match this sign-in" : "is missing" });
  }
  if ((await stepOf(ctx, loaded)) !== expected) return c.redirect(interactionPath(loaded.interaction.id), 303);
  return params;
}

/** After the password (and second factor, when due): the Ward session starts and the flow moves on. */
async function signedIn(c: Context<WardEnv>, ctx: ServerContext, loaded: Loaded, user: UserRecord, amr: string[]): Promise<Response> {
  const session = await startSession(c, ctx, user, amr);
  await updateInteraction(ctx.db, ctx.tenantId, loaded.interaction.id, { user_id: user.id, session_id: session.id });
  await recordAuditEvent(ctx.db, ctx.tenantId, {
    type: "login.succeeded",
    actor: user.id,
    subject: loaded.interaction.client_id,
    data: { amr, session_id: session.id, request_id: c.get("requestId"), outcome: "signed in" },
  });
  return show(c, ctx, { ...loaded, user, interaction: { ...loaded.interaction, user_id: user.id, session_id: session.id } });
}

/**
 * The hosted pages between /authorize and the redirect back: sign-in, two-factor (verification or
 * enrolment), consent. Each POST checks the CSRF token bound to the interaction cookie.
 */
export function mountInteraction(app: Hono<WardEnv>, ctx: ServerContext): void {
  const guarded =
    (handler: (c: Context<WardEnv>, loaded: Loaded) => Promise<Response>) =>
    async (c: Context<WardEnv>): Promise<Response> => {
      try {
        return await handler(c, await load(c, ctx));
      } catch (error) {
        if (error instanceof WardError && error.status < 500) return renderErrorPage(c, ctx.errorsBaseUrl, error);
        throw error;
      }
    };

  app.get(
    "/interaction/:id",
    guarded((c, loaded) => show(c, ctx, loaded)),
  );

  app.post(
    "/interaction/:id/login",
    guarded(async (c, loaded) => {
      const form = await readStepForm(c, ctx, loaded, "login");
      if (form instanceof Response) return form;
      const email = (form.get("email") ?? "").slice(0, 320);
      try {
        const user = await verifyCredentials(ctx, email, form.get("password") ?? "", {
          requestId: c.get("requestId"),
          clientId: loaded.interaction.client_id,
        });
        if (hasTwoFactor(user) || ctx.config.login.two_factor === "required") {
          await updateInteraction(ctx.db, ctx.tenantId, loaded.interaction.id, {
            user_id: user.id,
            password_verified_at: ctx.now(),
            session_id: null,
          });
          return show(c, ctx, {
            ...loaded,
            user,
            interaction: { ...loaded.interaction, user_id: user.id, password_verified_at: ctx.now(), session_id: null },
          });
        }
        return signedIn(c, ctx, loaded, user, ["pwd"]);
      } catch (error) {
        if (!(error instanceof WardError) || error.status >= 500) throw error;
        const headers = retryAfterHeader(error);
        return show(
          c,
          ctx,
          {
            ...loaded,
            user: undefined,
            interaction: { ...loaded.interaction, user_id: null, session_id: null, password_verified_at: null },
          },
          { error, email, headers },
        );
      }
    }),
  );

  for (const step of ["two-factor", "enrol"] as const) {
    app.post(
      `/interaction/:id/${step}`,
      guarded(async (c, loaded) => {
        const form = await readStepForm(c, ctx, loaded, step);
        if (form instanceof Response) return form;
        const user = loaded.user as UserRecord;
        try {
          const recoveryCode = step === "two-factor" ? (form.get("recovery_code") ?? undefined) : undefined;
          const method = await verifySecondFactor(
            ctx,
            user,
            { code: form.get("code") ?? undefined, recoveryCode: recoveryCode || undefined },
            { confirming: step === "enrol", requestId: c.get("requestId") },
          );
          return signedIn(c, ctx, loaded, user, method === "otp" ? ["pwd", "otp", "mfa"] : ["pwd", "mfa"]);
        } catch (error) {
          if (!(error instanceof WardError) || error.status >= 500) throw error;
          const headers = retryAfterHeader(error);
          return show(c, ctx, { ...loaded, user: (await getUser(ctx.db, ctx.tenantId, user.id)) ?? user }, { error, headers });
        }
      }),
    );
  }

  app.post(
    "/interaction/:id/consent",
    guarded(async (c, loaded) => {
      const form = await readStepForm(c, ctx, loaded, "consent");
      if (form instanceof Response) return form;
      const { interaction } = loaded;
      const user = loaded.user as UserRecord;
      if (form.get("decision") === "allow") return finish(c, ctx, loaded, true);
      const removed = await deleteInteraction(ctx.db, ctx.tenantId, interaction.id);
      if (interaction.request.purpose === "device") {
        const denied = removed && (await denyDevice(ctx, interaction.request, user.id, c.get("requestId")));
        return denied ? renderPage(c, <DeviceResultPage approved={false} />) : renderErrorPage(c, ctx.errorsBaseUrl, deviceCodeGone());
      }
      await recordAuditEvent(ctx.db, ctx.tenantId, {
        type: "consent.denied",
        actor: user.id,
        subject: interaction.client_id,
        data: {
          scopes: interaction.request.scope,
          resource: interaction.request.resource,
          request_id: c.get("requestId"),
          outcome: "denied",
        },
      });
      const denied = new WardError("consent_denied", {
        user: user.email,
        client_id: interaction.client_id,
        scope: formatScopes(interaction.request.scope),
      });
      return c.redirect(
        errorResponseUrl(ctx, { redirect_uri: interaction.request.redirect_uri, state: interaction.request.state }, denied),
        303,
      );
    }),
  );
}
