import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { base32Decode, totp } from "@ward/core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { chromiumUnavailable, useChromium } from "./support/chromium.js";
import { RESOURCE, USER, verifierAndChallenge } from "./support/flow.js";

const skip = chromiumUnavailable();
if (skip) console.log(skip);

const t = useTestWard({ login: { two_factor: "required" } });
const chrome = useChromium();

/** The client's own callback: a page on another loopback port, as a real web app would have. */
let callbackServer: Server;
let callbackBase: string;
let context: BrowserContext;
let page: Page;
let totpSecret: Buffer;
const visited: string[] = [];

function authorizeUrl(scope: string, state: string, challenge: string): string {
  const url = new URL("/authorize", t.publicUrl);
  url.search = new URLSearchParams({
    client_id: "browser-app",
    redirect_uri: `${callbackBase}/callback`,
    response_type: "code",
    scope,
    state,
    resource: RESOURCE,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

/** Starts an authorization in the browser and waits until it is back on the client (or on a Ward page). */
async function startAuthorization(scope: string) {
  const { verifier, challenge } = verifierAndChallenge();
  const state = `st-${Math.random().toString(36).slice(2)}`;
  visited.length = 0;
  await page.goto(authorizeUrl(scope, state, challenge));
  return { verifier, state };
}

async function expectBackOnClient(state: string): Promise<URL> {
  await page.waitForURL((url) => url.href.startsWith(`${callbackBase}/callback`));
  const url = new URL(page.url());
  expect(url.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(url.searchParams.get("state")).toBe(state);
  expect(url.searchParams.get("iss")).toBe(t.publicUrl);
  return url;
}

beforeAll(async () => {
  callbackServer = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>Client callback</title><h1>Back at the client</h1>");
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, "127.0.0.1", resolve));
  callbackBase = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;
  const created = async (path: string, body: unknown) => expect((await t.admin(path, { body })).status).toBe(201);
  await created("/admin/v1/users", USER);
  await created("/admin/v1/resources", {
    uri: RESOURCE,
    scopes: [
      { name: "notes:read", description: "Read your notes" },
      { name: "notes:write", description: "Change your notes" },
    ],
  });
  await created("/admin/v1/clients", {
    client_id: "browser-app",
    client_name: "Notes in the browser",
    redirect_uris: [`${callbackBase}/callback`],
    post_logout_redirect_uris: [`${callbackBase}/signed-out`],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "none",
  });
  if (skip) return;
  context = await chrome.context();
  page = await context.newPage();
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) visited.push(frame.url());
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  callbackServer?.closeAllConnections();
  await new Promise((resolve) => callbackServer?.close(resolve));
});

describe.skipIf(skip !== undefined)("the hosted pages in Chromium (login, TOTP, consent, logout)", () => {
  it("signs in, enrols TOTP from the QR page, consents, and lands on the callback with code, state and iss", async () => {
    const { state } = await startAuthorization("openid email notes:read");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.locator("#time-left").textContent()).toMatch(/Time left to finish signing in: (10|9) minutes/);
    await page.getByLabel("Email").fill(USER.email);
    await page.getByLabel("Password").fill(USER.password);
    await page.getByRole("button", { name: "Sign in" }).click();

    await page.getByRole("heading", { name: "Set up two-factor authentication" }).waitFor();
    expect(await page.getByRole("img", { name: /QR code/ }).getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await page.locator("#recovery-codes li").count()).toBe(10);
    totpSecret = base32Decode((await page.locator("#setup-key").textContent()) as string);
    const wrong = totp(totpSecret, Date.now()) === "000000" ? "111111" : "000000";
    await page.getByLabel("Authentication code").fill(wrong);
    await page.getByRole("button", { name: "Verify" }).click();
    expect(await page.getByRole("alert").textContent()).toContain("The authentication code is not valid now");
    await page.getByLabel("Authentication code").fill(totp(totpSecret, Date.now()));
    await page.getByRole("button", { name: "Verify" }).click();

    await page.getByRole("heading", { name: "Allow Notes in the browser?" }).waitFor();
    const consent = (await page.locator("main").textContent()) as string;
    expect(consent).toContain(new URL(callbackBase).host);
    expect(consent).toContain("Read your notes");
    expect(consent).toContain("See your email address");
    await page.getByRole("button", { name: "Allow" }).click();
    await expectBackOnClient(state);
  });

  it("skips consent on a second run with the same scopes (and the session skips sign-in)", async () => {
    const { state } = await startAuthorization("openid email notes:read");
    await expectBackOnClient(state);
    expect(visited.filter((url) => url.includes("/interaction/"))).toEqual([]);
  });

  it("asks again, marking what is new, when a new scope is requested", async () => {
    const { state } = await startAuthorization("openid email notes:read notes:write");
    await page.getByRole("heading", { name: "Allow Notes in the browser?" }).waitFor();
    const consent = (await page.locator("main").textContent()) as string;
    expect(consent).toContain("Change your notes notes:write (new)");
    expect(consent).not.toContain("Read your notes notes:read (new)");
    await page.getByRole("button", { name: "Allow" }).click();
    await expectBackOnClient(state);
  });

  it("passes the TOTP step on a fresh sign-in (prompt=login)", async () => {
    const { challenge } = verifierAndChallenge();
    const state = "fresh-login";
    await page.goto(`${authorizeUrl("openid notes:read", state, challenge)}&prompt=login`);
    await page.getByLabel("Email").fill(USER.email);
    await page.getByLabel("Password").fill(USER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    // The enrolment used this 30-second step; a code is good once, so use the next one (within the drift window).
    await page.getByLabel("Authentication code").fill(totp(totpSecret, Date.now() + 30_000));
    await page.getByRole("button", { name: "Verify" }).click();
    await expectBackOnClient(state);
  });

  it("logs out through end_session: the session ends and the next authorization asks to sign in", async () => {
    const { verifier, state } = await startAuthorization("openid notes:read");
    const callback = await expectBackOnClient(state);
    const token = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: callback.searchParams.get("code") as string,
        redirect_uri: `${callbackBase}/callback`,
        client_id: "browser-app",
        code_verifier: verifier,
      }),
    });
    const { id_token: idToken } = (await token.json()) as { id_token: string };
    expect(idToken).toBeTruthy();
    await page.goto(
      `${t.publicUrl}/end_session?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: `${callbackBase}/signed-out`, state: "bye" })}`,
    );
    await page.waitForURL(`${callbackBase}/signed-out?state=bye`);
    expect((await context.cookies(t.publicUrl)).map((c) => c.name)).not.toContain("ward_session");
    await startAuthorization("openid notes:read");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  });
});
