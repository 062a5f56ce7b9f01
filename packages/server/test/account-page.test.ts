import { base32Decode, totp } from "@ward/core";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { type Page, TestBrowser } from "./support/browser.js";
import {
  authorizeUrl,
  NATIVE_REDIRECT,
  RESOURCE,
  redeemCliAppCode,
  seedFlowFixtures,
  signInAndConsent,
  USER,
  verifierAndChallenge,
} from "./support/flow.js";

/** The server's clock: real time, except that the TOTP test holds it still so codes cannot cross a 30-second step. */
let frozenAt: number | undefined;
const t = useTestWard({}, { now: () => frozenAt ?? Date.now() });

beforeAll(async () => {
  await seedFlowFixtures(t);
});

async function signInToAccount(browser: TestBrowser, password = USER.password): Promise<Page> {
  const login = await browser.navigate("/account");
  expect(login.title).toBe("Sign in");
  expect(login.html).toContain("your Ward account");
  const page = await browser.submit(login, { email: USER.email, password }, "Sign in");
  expect(page.title, page.html.replace(/<style>[\s\S]*<\/style>/, "").slice(0, 1500)).toBe("Your account");
  return page;
}

/** Authorizes cli-app and redeems the code: returns its refresh token. */
async function grantCliApp(browser: TestBrowser): Promise<string> {
  const { verifier, challenge } = verifierAndChallenge();
  const page = await signInAndConsent(
    browser,
    authorizeUrl(t, {
      client_id: "cli-app",
      redirect_uri: NATIVE_REDIRECT,
      response_type: "code",
      scope: "offline_access notes:read",
      resource: RESOURCE,
      code_challenge: challenge,
      code_challenge_method: "S256",
    }),
  );
  return (await redeemCliAppCode(t, page, verifier)).refresh_token as string;
}

const refresh = async (token: string) =>
  (await fetch(`${t.publicUrl}/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: "cli-app", refresh_token: token }),
  }).then((r) => r.json())) as Record<string, string>;

describe("account page: apps the user allowed", () => {
  it("lists the app with its scopes and, on revoke, kills its refresh family and forgets the consent", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const refreshToken = await grantCliApp(browser);
    const account = await browser.navigate("/account");
    expect(account.title).toBe("Your account");
    expect(account.html).toContain("Notes CLI");
    expect(account.html).toContain("offline_access notes:read");
    const revoked = await browser.submit(account, {}, "Revoke Notes CLI");
    expect(revoked.html).toContain("The app&#39;s access was revoked");
    expect(revoked.html).not.toContain("<strong>Notes CLI</strong>");
    expect((await refresh(refreshToken)).code).toBe("refresh_token_revoked");
    const again = await browser.navigate(
      authorizeUrl(t, {
        client_id: "cli-app",
        redirect_uri: NATIVE_REDIRECT,
        response_type: "code",
        scope: "notes:read",
        code_challenge: verifierAndChallenge().challenge,
        code_challenge_method: "S256",
      }),
    );
    expect(again.title).toBe("Allow Notes CLI?");
  });
});

describe("account page: password", () => {
  it("refuses a wrong current password and a too short new one, changing nothing", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const account = await signInToAccount(browser);
    const wrong = await browser.submit(account, { current_password: "not it", new_password: "another long password" }, "Change password");
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain("The email or the password is not correct.");
    const short = await browser.submit(account, { current_password: USER.password, new_password: "short" }, "Change password");
    expect(short.status).toBe(400);
    expect(short.html).toContain("The new password has fewer than 8 characters.");
    await signInToAccount(new TestBrowser(t.publicUrl));
  });

  it("changes the password and signs out the user's other browsers", async () => {
    const other = new TestBrowser(t.publicUrl);
    await signInToAccount(other);
    const browser = new TestBrowser(t.publicUrl);
    const account = await signInToAccount(browser);
    const changed = await browser.submit(
      account,
      { current_password: USER.password, new_password: "a brand new passphrase" },
      "Change password",
    );
    expect(changed.html).toContain("Your password was changed");
    expect((await other.navigate("/account")).title).toBe("Sign in");
    const stranger = new TestBrowser(t.publicUrl);
    const oldPassword = await stranger.submit(
      await stranger.navigate("/account"),
      { email: USER.email, password: USER.password },
      "Sign in",
    );
    expect(oldPassword.status).toBe(401);
    expect(oldPassword.html).toContain("The email or the password is not correct.");
    const back = await browser.submit(
      changed,
      { current_password: "a brand new passphrase", new_password: USER.password },
      "Change password",
    );
    expect(back.html).toContain("Your password was changed");
  });
});

describe("account page: two-factor authentication and sessions", () => {
  it("turns TOTP on from the account page, asks for it at the next sign-in, and resets it", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const start = await signInToAccount(browser);
    const enrol = await browser.submit(start, {}, "Set up two-factor authentication");
    expect(enrol.title).toBe("Set up two-factor authentication");
    const secret = base32Decode(/id="setup-key">([A-Z2-7]+)</.exec(enrol.html)?.[1] as string);
    frozenAt = Date.now();
    const on = await browser.submit(enrol, { code: totp(secret, frozenAt) }, "Verify");
    expect(on.html).toContain("Two-factor authentication is on.");

    const second = new TestBrowser(t.publicUrl);
    const password = await second.submit(await second.navigate("/account"), { email: USER.email, password: USER.password }, "Sign in");
    expect(password.title).toBe("Two-factor authentication");
    const reused = await second.submit(password, { code: totp(secret, frozenAt) }, "Verify");
    expect(reused.status).toBe(401);
    expect(reused.html).toContain("already used");
    // RFC 6238 §5.2: two requests carrying the same new code at once: exactly one gets through.
    const third = new TestBrowser(t.publicUrl);
    const thirdPassword = await third.submit(await third.navigate("/account"), { email: USER.email, password: USER.password }, "Sign in");
    const nextCode = totp(secret, frozenAt + 30_000);
    const [a, b] = await Promise.all([
      second.submit(reused, { code: nextCode }, "Verify"),
      third.submit(thirdPassword, { code: nextCode }, "Verify"),
    ]);
    expect([a.title, b.title].sort()).toEqual(["Two-factor authentication", "Your account"]);
    const [winner, account] = a.title === "Your account" ? [second, a] : [third, b];

    const refused = await winner.submit(account, { current_password: "not my password" }, "Reset two-factor authentication");
    expect(refused.status).toBe(401);
    expect(refused.html).toContain("The email or the password is not correct.");
    const reset = await winner.submit(refused, { current_password: USER.password }, "Reset two-factor authentication");
    expect(reset.html).toContain("Two-factor authentication is off; your other browsers were signed out.");
    expect((await browser.navigate("/account")).title).toBe("Sign in");
    frozenAt = undefined;
  });

  it("signs out here and everywhere", async () => {
    const a = new TestBrowser(t.publicUrl);
    const b = new TestBrowser(t.publicUrl);
    await signInToAccount(a);
    const page = await signInToAccount(b);
    expect(page.html).toContain("also signed in on");
    const out = await b.submit(page, {}, "Sign out everywhere");
    expect(out.title).toBe("Sign in");
    expect((await a.navigate("/account")).title).toBe("Sign in");
  });

  it("refuses a form without its CSRF token", async () => {
    const browser = new TestBrowser(t.publicUrl);
    await signInToAccount(browser);
    const forged = await browser.navigate("/account/logout", { form: { csrf: "forged" } });
    expect(forged.status).toBe(403);
    expect(forged.html).toContain("csrf_token_invalid");
    expect((await browser.navigate("/account")).title).toBe("Your account");
  });
});
