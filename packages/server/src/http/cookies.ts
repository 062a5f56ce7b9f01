import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { constantTimeEqual } from "../crypto/tokens.js";
import type { ServerContext } from "../oauth/context.js";
import type { WardEnv } from "./context.js";

export const SESSION_COOKIE = "ward_session";
export const INTERACTION_COOKIE = "ward_interaction";

/**
 * Ward's cookies: HttpOnly, Secure except on a loopback issuer, SameSite=Lax (sent on the top-level
 * navigation from the client to /authorize and on same-site form posts, never on cross-site
 * subrequests or cross-site POSTs).
 */
export function setWardCookie(
  c: Context<WardEnv>,
  ctx: ServerContext,
  name: string,
  value: string,
  options: { path: string; maxAgeSeconds: number },
): void {
  setCookie(c, name, value, {
    path: options.path,
    httpOnly: true,
    secure: ctx.secureCookies,
    sameSite: "Lax",
    maxAge: options.maxAgeSeconds,
  });
}

export function readCookie(c: Context<WardEnv>, name: string): string | undefined {
  return getCookie(c, name);
}

export function clearWardCookie(c: Context<WardEnv>, ctx: ServerContext, name: string, path: string): void {
  deleteCookie(c, name, { path, secure: ctx.secureCookies, httpOnly: true, sameSite: "Lax" });
}

/** The CSRF token of a form: an HMAC of the secret the browser holds in a cookie, under session.secret. */
export function csrfToken(ctx: ServerContext, cookieSecret: string, purpose: string): string {
  return createHmac("sha256", ctx.sessionSecret).update(`${purpose}\0${cookieSecret}`).digest("base64url");
}

export function csrfValid(ctx: ServerContext, cookieSecret: string, purpose: string, received: string | undefined): boolean {
  return received !== undefined && constantTimeEqual(csrfToken(ctx, cookieSecret, purpose), received);
}
