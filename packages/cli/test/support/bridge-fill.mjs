#!/usr/bin/env node
// $BROWSER for the browser-bridge tests: a plain-HTTP "user" that opens the daemon's one-time page,
// logs what it shows, and submits WARD_TEST_BRIDGE_FIELDS (JSON) with the page's CSRF token and cookie.
// Any other URL (e.g. the provider's /authorize) is only logged.
import { appendFileSync } from "node:fs";

const url = new URL(process.argv[2]);
const log = (line) => appendFileSync(process.env.WARD_TEST_BROWSER_LOG, `${line}\n`);
if (!url.pathname.startsWith("/bridge/")) {
  log(`other url: ${url.pathname}`);
  process.exit(0);
}
const page = await fetch(url);
const html = await page.text();
log(`page ${page.status}: ${html}`);
const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0];
const form = new URLSearchParams({ csrf, ...JSON.parse(process.env.WARD_TEST_BRIDGE_FIELDS ?? "{}") });
const saved = await fetch(url, { method: "POST", headers: { cookie, origin: url.origin }, body: form });
log(`submitted ${saved.status}: ${await saved.text()}`);
