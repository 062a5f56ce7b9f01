#!/usr/bin/env node
// $BROWSER for the agent login tests: drives Debian's chromium through Ward's hosted pages
// (sign in, then Allow or Deny) until the browser lands on the agent daemon's callback.
// Env: WARD_TEST_EMAIL, WARD_TEST_PASSWORD, WARD_TEST_CONSENT=allow|deny|none, WARD_TEST_BROWSER_LOG (file).
import { appendFileSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const url = process.argv[2];
const log = (line) => process.env.WARD_TEST_BROWSER_LOG && appendFileSync(process.env.WARD_TEST_BROWSER_LOG, `${line}\n`);
const isCallback = (u) => u.pathname === "/auth/callback/oauth";

const browser = await chromium.launch({
  executablePath: process.env.WARD_TEST_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: JSON.parse(readFileSync(new URL("../../../server/test/support/chromium-args.json", import.meta.url), "utf8")),
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  log(`opened ${new URL(url).pathname}`);
  if (process.env.WARD_TEST_CONSENT === "none") {
    log("left the tab open without signing in");
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  }
  const email = page.getByLabel("Email");
  if (await email.count()) {
    await email.fill(process.env.WARD_TEST_EMAIL ?? "");
    await page.getByLabel("Password").fill(process.env.WARD_TEST_PASSWORD ?? "");
    await page.getByRole("button", { name: "Sign in" }).click();
    log("signed in");
  }
  const button = page.getByRole("button", { name: process.env.WARD_TEST_CONSENT === "deny" ? "Deny" : "Allow" });
  await Promise.race([button.waitFor({ timeout: 30_000 }), page.waitForURL(isCallback, { timeout: 30_000 })]);
  if (!isCallback(new URL(page.url()))) {
    await button.click();
    log(`clicked ${process.env.WARD_TEST_CONSENT === "deny" ? "Deny" : "Allow"}`);
  }
  await page.waitForURL(isCallback, { timeout: 30_000 });
  await page.waitForLoadState();
  log(`callback page: ${await page.title()}`);
} catch (error) {
  log(`browser script failed: ${error.message}`);
} finally {
  await browser.close();
}
