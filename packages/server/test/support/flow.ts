import { createHash, randomBytes } from "node:crypto";
import { expect } from "vitest";
import { TestBrowser } from "./browser.js";
import type { TestWard } from "./ward.js";

export const USER = { email: "ada@example.com", password: "correct horse battery staple", name: "Ada Lovelace" };
export const RESOURCE = "https://api.example.test/mcp";
export const NATIVE_REDIRECT = "http://127.0.0.1/callback";
export const WEB_REDIRECT = "https://app.example.test/auth/callback";

export const verifierAndChallenge = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};

async function created(response: Response): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(201);
  return body;
}

/**
 * The standard fixtures of the flow tests: one user, one resource with two scopes, a public native
 * client (`cli-app`), a confidential web client (`web-app`, secret returned) and a first-party one.
 */
export async function seedFlowFixtures(t: TestWard): Promise<{ webSecret: string }> {
  await created(await t.admin("/admin/v1/users", { body: USER }));
  await created(
    await t.admin("/admin/v1/resources", {
      body: {
        uri: RESOURCE,
        scopes: [
          { name: "notes:read", description: "Read your notes" },
          { name: "notes:write", description: "Change your notes" },
        ],
        introspection_clients: ["api-server"],
      },
    }),
  );
  await created(
    await t.admin("/admin/v1/clients", {
      body: {
        client_id: "cli-app",
        client_name: "Notes CLI",
        redirect_uris: [NATIVE_REDIRECT],
        post_logout_redirect_uris: [NATIVE_REDIRECT],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "none",
        application_type: "native",
      },
    }),
  );
  const web = await created(
    await t.admin("/admin/v1/clients", {
      body: {
        client_id: "web-app",
        client_name: "Notes Web",
        redirect_uris: [WEB_REDIRECT],
        post_logout_redirect_uris: ["https://app.example.test/"],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    }),
  );
  await created(
    await t.admin("/admin/v1/clients", {
      body: {
        client_id: "api-server",
        client_name: "Notes API",
        redirect_uris: ["https://api.example.test/unused"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    }),
  );
  return { webSecret: web.client_secret as string };
}

export function authorizeUrl(t: TestWard, params: Record<string, string | undefined>): string {
  const url = new URL("/authorize", t.publicUrl);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  return url.toString();
}

/** Signs in on the hosted page and allows consent when asked; returns the page that left for the client. */
export async function signInAndConsent(browser: TestBrowser, url: string, user = USER) {
  let page = await browser.navigate(url);
  if (page.left) return page;
  if (page.title === "Sign in") {
    page = await browser.submit(page, { email: user.email, password: user.password }, "Sign in");
    if (page.left) return page;
  }
  expect(page.title, page.html.slice(0, 1500)).toMatch(/^Allow /);
  return browser.submit(page, {}, "Allow");
}

/** Redeems the code a page redirected to cli-app with (public client: client_id alone); expects 200. */
export async function redeemCliAppCode(t: TestWard, page: { redirectParams: URLSearchParams }, verifier: string) {
  const response = await fetch(`${t.publicUrl}/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: "cli-app",
      code: page.redirectParams.get("code") as string,
      redirect_uri: NATIVE_REDIRECT,
      code_verifier: verifier,
    }),
  });
  const body = (await response.json()) as { access_token: string; id_token?: string; refresh_token?: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** A code for cli-app (PKCE S256) through the hosted pages of `browser`; `params` adds or overrides authorization parameters. */
export async function cliAppCode(t: TestWard, browser: TestBrowser, params: Record<string, string | undefined>) {
  const { verifier, challenge } = verifierAndChallenge();
  const page = await signInAndConsent(
    browser,
    authorizeUrl(t, {
      client_id: "cli-app",
      redirect_uri: NATIVE_REDIRECT,
      response_type: "code",
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...params,
    }),
  );
  return { page, verifier, code: page.redirectParams.get("code") as string };
}

/** Signs in as USER through the hosted pages, authorizes cli-app for `scope` (and `resource`), and redeems the code. */
export async function cliAppTokens(t: TestWard, options: { scope: string; resource?: string; state?: string }) {
  const { page, verifier } = await cliAppCode(t, new TestBrowser(t.publicUrl), options);
  return redeemCliAppCode(t, page, verifier);
}
