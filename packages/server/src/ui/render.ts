import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { WardEnv } from "../http/context.js";
import { setHeader } from "../http/response-headers.js";
import { contentSecurityPolicy } from "../http/security-headers.js";
import { renderWithoutAsyncContext } from "./render-context.js";

renderWithoutAsyncContext();

/**
 * The origin (or, for a private-use scheme, the scheme) a redirect URI lives on: what CSP
 * form-action must allow so a form whose answer redirects there is not blocked by the browser.
 */
export function formTarget(redirectUri: string): string | undefined {
  try {
    const url = new URL(redirectUri);
    if (url.protocol === "http:" || url.protocol === "https:") return url.origin;
    return url.protocol;
  } catch {
    return undefined;
  }
}

/** Sends a hosted page: never cached, CSP allowing form posts to `formTargets` besides this origin. */
export function renderPage(
  c: Context<WardEnv>,
  page: JSX.Element,
  options: { status?: number; formTargets?: readonly (string | undefined)[]; headers?: Record<string, string> } = {},
): Response {
  setHeader(c, "Cache-Control", "no-store");
  setHeader(c, "Content-Security-Policy", contentSecurityPolicy((options.formTargets ?? []).filter((t): t is string => t !== undefined)));
  for (const [name, value] of Object.entries(options.headers ?? {})) setHeader(c, name, value);
  return c.html(`<!doctype html>${page.toString()}`, (options.status ?? 200) as ContentfulStatusCode);
}
