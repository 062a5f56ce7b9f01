import { getConnInfo } from "@hono/node-server/conninfo";
import { WardError } from "@ward/core";
import type { Context, Hono } from "hono";
import { deviceApprovalRequest, startInteraction } from "../authorize/interaction.js";
import { hashSecret, randomToken } from "../crypto/tokens.js";
import { formatUserCode, normalizeUserCode } from "../device/user-code.js";
import { DEVICE_CODE_GRANT } from "../grants/device-code.js";
import type { WardEnv } from "../http/context.js";
import { csrfToken, csrfValid, readCookie, setWardCookie } from "../http/cookies.js";
import { allowOnly } from "../http/errors.js";
import { readParams, shown } from "../http/params.js";
import { currentSession } from "../login/browser-session.js";
import { AttemptLimiter } from "../login/throttle.js";
import { hasTwoFactor } from "../login/two-factor.js";
import type { ServerContext } from "../oauth/context.js";
import { getDeviceCode } from "../store/device-codes.js";
import { DeviceCodePage } from "../ui/device.js";
import { renderErrorPage } from "../ui/error-page.js";
import { renderPage } from "../ui/render.js";
import { refuseDisabledGrant } from "./token.js";

/** A random secret per browser, on /device only: the page's CSRF tokens and its guess counter derive from it. */
const DEVICE_COOKIE = "ward_device";
const CSRF_PURPOSE = "device";
const COOKIE_MAX_AGE_S = 3600;

function browserSecret(c: Context<WardEnv>, ctx: ServerContext): string {
  const existing = readCookie(c, DEVICE_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const secret = randomToken();
  setWardCookie(c, ctx, DEVICE_COOKIE, secret, { path: "/device", maxAgeSeconds: COOKIE_MAX_AGE_S });
  return secret;
}

/** The peer address on Node; undefined on runtimes that do not expose it (then only the browser counter applies). */
function remoteAddress(c: Context<WardEnv>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/**
 * Counts this code entry against the network address and the browser (device.user_code_attempts
 * per login.lockout_seconds each). Right codes count too: a code of one's own, cheap to get, must
 * not buy more guesses at other people's.
 */
async function countEntry(c: Context<WardEnv>, ctx: ServerContext, secret: string): Promise<void> {
  const limits = { max_failures: ctx.config.device.user_code_attempts, lockout_seconds: ctx.config.login.lockout_seconds };
  const address = remoteAddress(c);
  const keys: [string, string][] = [["browser", `device-browser:${hashSecret(secret)}`]];
  if (address) keys.unshift(["network address", `device-ip:${address}`]);
  for (const [scope, key] of keys) {
    try {
      await new AttemptLimiter(ctx, key, limits).begin();
    } catch (error) {
      if (error instanceof WardError && error.code === "login_locked_out") {
        throw new WardError("device_user_code_locked_out", { scope, retry_after: error.params.retry_after, attempts: limits.max_failures });
      }
      throw error;
    }
  }
}

/** The pending, unexpired device code the user typed; `device_user_code_invalid` otherwise. */
async function pendingDeviceCode(ctx: ServerContext, typed: string) {
  const code = normalizeUserCode(typed);
  const device = code ? await getDeviceCode(ctx.db, ctx.tenantId, { user_code_hash: hashSecret(code) }) : undefined;
  if (device?.status !== "pending" || device.expires_at <= ctx.now()) {
    throw new WardError("device_user_code_invalid", { received: shown(typed.trim(), 40) });
  }
  return device;
}

/**
 * GET and POST /device (RFC 8628 §3.3): the user types the code shown on the device (a
 * verification_uri_complete link only fills it in: the user still presses Continue), then signs in
 * and consents through the same pages as /authorize; the consent decides the device code.
 */
export function mountDevice(app: Hono<WardEnv>, ctx: ServerContext): void {
  const page = (c: Context<WardEnv>, secret: string, options: { code?: string; error?: WardError } = {}) =>
    renderPage(
      c,
      <DeviceCodePage action="/device" csrf={csrfToken(ctx, secret, CSRF_PURPOSE)} code={options.code} error={options.error?.message} />,
      {
        status: options.error?.status ?? 200,
        headers: options.error?.code === "device_user_code_locked_out" ? { "Retry-After": String(options.error.params.retry_after) } : {},
      },
    );

  app.get("/device", (c) => {
    try {
      refuseDisabledGrant(ctx.config, DEVICE_CODE_GRANT);
    } catch (error) {
      return renderErrorPage(c, ctx.errorsBaseUrl, error as WardError);
    }
    const typed = (c.req.query("user_code") ?? "").slice(0, 32);
    const normalized = normalizeUserCode(typed);
    return page(c, browserSecret(c, ctx), { code: normalized ? formatUserCode(normalized) : typed });
  });

  app.post("/device", async (c) => {
    let secret: string | undefined;
    let typed = "";
    try {
      refuseDisabledGrant(ctx.config, DEVICE_CODE_GRANT);
      const form = await readParams(c);
      secret = readCookie(c, DEVICE_COOKIE);
      if (!secret || !csrfValid(ctx, secret, CSRF_PURPOSE, form.get("csrf") ?? undefined)) {
        throw new WardError("csrf_token_invalid", { reason: form.get("csrf") ? "does not match this browser" : "is missing" });
      }
      typed = (form.get("user_code") ?? "").slice(0, 64);
      await countEntry(c, ctx, secret);
      const device = await pendingDeviceCode(ctx, typed);
      const signedIn = await currentSession(c, ctx);
      const usable = signedIn && !(ctx.config.login.two_factor === "required" && !hasTwoFactor(signedIn.user));
      const next = await startInteraction(
        c,
        ctx,
        deviceApprovalRequest(ctx, device),
        usable ? { user_id: signedIn.user.id, session_id: signedIn.session.id } : undefined,
      );
      return c.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof WardError) || error.status >= 500) throw error;
      const onForm = error.code === "device_user_code_invalid" || error.code === "device_user_code_locked_out";
      if (onForm && secret) return page(c, secret, { code: typed.slice(0, 32), error });
      return renderErrorPage(c, ctx.errorsBaseUrl, error);
    }
  });
  allowOnly(app, "/device", ["GET", "POST"]);
}
