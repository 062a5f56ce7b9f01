import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import {
  authorizeUrl,
  NATIVE_REDIRECT,
  RESOURCE,
  redeemCliAppCode,
  seedFlowFixtures,
  signInAndConsent,
  USER,
  verifierAndChallenge,
  WEB_REDIRECT,
} from "./support/flow.js";

const t = useTestWard({ login: { max_failures: 3, lockout_seconds: 120 } });

beforeAll(async () => {
  await seedFlowFixtures(t);
  expect(
    (
      await t.admin("/admin/v1/clients", {
        body: {
          client_id: "first-party",
          client_name: "First party",
          redirect_uris: [WEB_REDIRECT],
          token_endpoint_auth_method: "client_secret_basic",
          skip_consent: true,
        },
      })
    ).status,
  ).toBe(201);
});

const request = (overrides: Record<string, string | undefined> = {}) =>
  authorizeUrl(t, {
    client_id: "cli-app",
    redirect_uri: NATIVE_REDIRECT,
    response_type: "code",
    scope: "openid notes:read",
    resource: RESOURCE,
    code_challenge: verifierAndChallenge().challenge,
    code_challenge_method: "S256",
    state: "st",
    ...overrides,
  });

const count = async (table: "audit_events" | "sessions" | "authorization_codes", type?: string) => {
  let query = t.ward.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n"));
  if (type) query = query.where("type" as never, "=", type as never);
  return Number((await query.executeTakeFirstOrThrow()).n);
};

describe("sign-in page: one answer for unknown users and wrong passwords, then a lockout", () => {
  it("answers an unknown email exactly as a wrong password, and records both as login.failed", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const page = await browser.navigate(request());
    const before = await count("audit_events", "login.failed");
    const unknown = await browser.submit(page, { email: "nobody@example.com", password: "whatever it is" }, "Sign in");
    const wrong = await browser.submit(unknown, { email: USER.email, password: "not the password" }, "Sign in");
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const alert = (html: string) => /role="alert">([^<]*)</.exec(html)?.[1];
    expect(alert(unknown.html)).toBe("The email or the password is not correct.");
    expect(alert(wrong.html)).toBe(alert(unknown.html));
    expect(await count("audit_events", "login.failed")).toBe(before + 2);
    const audit = await t.ward.database.db.selectFrom("audit_events").select("data").where("type", "=", "login.failed").execute();
    expect(audit.map((row) => row.data).join()).not.toContain("not the password");
    expect(await count("sessions")).toBe(0);
  });

  it("locks the email out after login.max_failures with 429 and Retry-After, even with the right password", async () => {
    const email = "locked@example.com";
    expect((await t.admin("/admin/v1/users", { body: { email, password: "the right password" } })).status).toBe(201);
    const browser = new TestBrowser(t.publicUrl);
    let page = await browser.navigate(request());
    for (let i = 0; i < 2; i++) page = await browser.submit(page, { email, password: `wrong ${i}` }, "Sign in");
    expect(page.status).toBe(401);
    expect(page.html).toContain("The email or the password is not correct.");
    const locked = await browser.submit(page, { email, password: "wrong 3" }, "Sign in");
    expect(locked.status).toBe(429);
    expect(locked.response.headers.get("retry-after")).toBe("120");
    expect(locked.html).toContain("Sign-in for this account is paused for 120 seconds after 3 failed attempts.");
    const stillLocked = await browser.submit(locked, { email, password: "the right password" }, "Sign in");
    expect(stillLocked.status).toBe(429);
    expect(stillLocked.html).toContain("Sign-in for this account is paused");
    expect(Number(stillLocked.response.headers.get("retry-after"))).toBeGreaterThan(100);
  });
});

describe("sign-in page: parallel guesses", () => {
  it("counts every attempt before checking it: 12 parallel guesses get at most login.max_failures checks, then 429 even for the right password", async () => {
    const email = "parallel@example.com";
    expect((await t.admin("/admin/v1/users", { body: { email, password: "the right password" } })).status).toBe(201);
    const browser = new TestBrowser(t.publicUrl);
    const page = await browser.navigate(request());
    const action = new URL(page.form("Sign in").action, page.url).toString();
    const csrf = page.form("Sign in").fields.csrf as string;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => browser.request(action, { form: { csrf, email, password: `guess ${i}` } })),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(9);
    const right = await browser.request(action, { form: { csrf, email, password: "the right password" } });
    expect(right.status).toBe(429);
    expect(await right.text()).toContain("Sign-in for this account is paused");
  });
});

describe("the authorization session: bound to the browser, limited in time", () => {
  it("shows an expired sign-in as such, with a link that starts the same request again", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const page = await browser.navigate(request());
    await t.ward.database.db
      .updateTable("interactions")
      .set({ expires_at: Date.now() - 1000 })
      .execute();
    const expired = await browser.submit(page, { email: USER.email, password: USER.password }, "Sign in");
    expect(expired.status).toBe(400);
    expect(expired.title).toBe("Sign-in took too long");
    expect(expired.html).toContain("authorization_session_expired");
    const restart = /href="(\/authorize\?[^"]*)">Start signing in again/.exec(expired.html)?.[1]?.replace(/&amp;/g, "&");
    expect(restart).toBeDefined();
    const again = await browser.navigate(restart as string);
    expect(again.title).toBe("Sign in");
  });

  it("refuses a sign-in page opened in another browser (no interaction cookie) with session_cookie_missing", async () => {
    const page = await new TestBrowser(t.publicUrl).navigate(request());
    const other = new TestBrowser(t.publicUrl);
    const refused = await other.navigate(page.url);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain("session_cookie_missing");
    expect(refused.html).toContain("ward_interaction");
  });

  it("refuses a sign-in form posted without its CSRF token", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const page = await browser.navigate(request());
    const action = new URL(page.form("Sign in").action, page.url).toString();
    const forged = await browser.navigate(action, { form: { email: USER.email, password: USER.password } });
    expect(forged.status).toBe(403);
    expect(forged.html).toContain("csrf_token_invalid");
    expect(await count("sessions")).toBe(0);
  });
});

describe("consent", () => {
  it("redirects Deny as access_denied (consent_denied) with state and iss, and issues no code", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const login = await browser.navigate(request({ state: "deny-me" }));
    const consent = await browser.submit(login, { email: USER.email, password: USER.password }, "Sign in");
    expect(consent.title).toBe("Allow Notes CLI?");
    expect(consent.html).toContain("127.0.0.1");
    expect(consent.html).toContain("Read your notes");
    const codes = await count("authorization_codes");
    const denied = await browser.submit(consent, {}, "Deny");
    expect(denied.redirectParams.get("error")).toBe("access_denied");
    expect(denied.redirectParams.get("error_uri")).toBe(`${t.publicUrl}/errors/consent_denied`);
    expect(denied.redirectParams.get("state")).toBe("deny-me");
    expect(denied.redirectParams.get("iss")).toBe(t.publicUrl);
    expect(denied.redirectParams.has("code")).toBe(false);
    expect(await count("authorization_codes")).toBe(codes);
  });

  it("never asks a skip_consent (first-party) client unless prompt=consent, and asks again with prompt=consent otherwise", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const first = await signInAndConsent(browser, request({ client_id: "first-party", redirect_uri: WEB_REDIRECT }));
    expect(first.redirectParams.get("code")).toBeTruthy();
    const asked = await browser.navigate(request({ client_id: "first-party", redirect_uri: WEB_REDIRECT, prompt: "consent" }));
    expect(asked.title).toBe("Allow First party?");
    await signInAndConsent(browser, request());
    const silent = await browser.navigate(request());
    expect(silent.redirectParams.get("code")).toBeTruthy();
    const forced = await browser.navigate(request({ prompt: "consent" }));
    expect(forced.title).toBe("Allow Notes CLI?");
  });
});

describe("consent for a request without scope", () => {
  it("asks before the first code even when no scope is requested (the client would learn the user's identifier)", async () => {
    const browser = new TestBrowser(t.publicUrl);
    await browser.submit(await browser.navigate("/account"), { email: USER.email, password: USER.password }, "Sign in");
    const none = { client_id: "web-app", redirect_uri: WEB_REDIRECT, scope: "" };
    const silent = await browser.navigate(request({ ...none, resource: undefined, prompt: "none" }));
    expect(silent.redirectParams.get("error")).toBe("consent_required");
    expect(silent.redirectParams.get("error_description")).not.toContain(USER.email);
    const page = await browser.navigate(request({ ...none, resource: undefined }));
    expect(page.title).toBe("Allow Notes Web?");
    expect(page.html).toContain("Know which account you have here");
    const allowed = await browser.submit(page, {}, "Allow");
    expect(allowed.redirectParams.get("code")).toBeTruthy();
    expect((await browser.navigate(request({ ...none, resource: undefined, prompt: "none" }))).redirectParams.get("code")).toBeTruthy();
  });
});

describe("end_session (OpenID Connect RP-Initiated Logout)", () => {
  it("refuses an access token as id_token_hint (only ID tokens name a session to end)", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const { verifier, challenge } = verifierAndChallenge();
    const page = await signInAndConsent(browser, request({ code_challenge: challenge, scope: "openid" }));
    const tokens = await redeemCliAppCode(t, page, verifier);
    const refused = await browser.navigate(`/end_session?id_token_hint=${tokens.access_token}`);
    expect(refused.status, refused.html.replace(/<style>[\s\S]*<\/style>/, "")).toBe(400);
    expect(refused.html).toContain("id_token_hint_invalid");
    expect(refused.html).toContain("at+jwt");
    expect(browser.cookie("ward_session")).toBeDefined();
    const out = await browser.navigate(`/end_session?id_token_hint=${tokens.id_token}`);
    expect(out.title).toBe("Signed out");
    expect(browser.cookie("ward_session")).toBeUndefined();
  });

  it("asks for confirmation without an id_token_hint, and the confirmation needs the CSRF token", async () => {
    const browser = new TestBrowser(t.publicUrl);
    await signInAndConsent(browser, request());
    const confirm = await browser.navigate(
      `/end_session?client_id=cli-app&post_logout_redirect_uri=${encodeURIComponent(NATIVE_REDIRECT)}&state=x`,
    );
    expect(confirm.title).toBe("Sign out");
    expect(confirm.html).toContain(USER.email);
    const forged = await browser.navigate("/end_session", { form: { confirm: "yes", csrf: "forged" } });
    expect(forged.status).toBe(403);
    expect(forged.html).toContain("csrf_token_invalid");
    const out = await browser.submit(confirm, {}, "Sign out");
    expect(out.left).toBe(`${NATIVE_REDIRECT}?state=x`);
    expect(browser.cookie("ward_session")).toBeUndefined();
    expect((await browser.navigate(request())).title).toBe("Sign in");
  });

  it("refuses an unregistered post_logout_redirect_uri on a page, signing nobody out", async () => {
    const browser = new TestBrowser(t.publicUrl);
    await signInAndConsent(browser, request());
    const refused = await browser.navigate(
      `/end_session?client_id=cli-app&post_logout_redirect_uri=${encodeURIComponent("https://evil.example/")}`,
    );
    expect(refused.status).toBe(400);
    expect(refused.left).toBeUndefined();
    expect(refused.html).toContain("post_logout_redirect_uri_unregistered");
    expect(browser.cookie("ward_session")).toBeDefined();
  });
});
