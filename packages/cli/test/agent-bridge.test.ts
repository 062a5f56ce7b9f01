import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { freePort } from "./ports.js";
import { runWard } from "./run-ward.js";

const FILL_SCRIPT = fileURLToPath(new URL("./support/bridge-fill.mjs", import.meta.url));
const sandboxes: AgentSandbox[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});

/** A sandbox whose $BROWSER submits `fields` on the bridge page (plain HTTP, like a user's form post). */
async function sandboxWithBrowser(fields: Record<string, string>) {
  const s = await agentSandbox();
  sandboxes.push(s);
  const browser = join(s.home, "browser.sh");
  writeFileSync(browser, `#!/bin/sh\nexec "${process.execPath}" "${FILL_SCRIPT}" "$@"\n`);
  chmodSync(browser, 0o755);
  s.env = {
    ...s.env,
    BROWSER: browser,
    WARD_TEST_BROWSER_LOG: join(s.home, "browser.log"),
    WARD_TEST_BRIDGE_FIELDS: JSON.stringify(fields),
  };
  return s;
}

async function addProvider(s: AgentSandbox, provider: Record<string, unknown>) {
  const file = join(s.home, `${provider.name}.json`);
  writeFileSync(file, JSON.stringify(provider));
  const added = await runWard(["providers", "add", file], { env: s.env });
  expect(added.code, added.stderr).toBe(0);
}

const ECHO = { name: "echo", flows: ["api_key"], default_flow: "api_key", api_key: { env_var: "ECHO_API_KEY", header: "Authorization" } };
const browserLog = (s: AgentSandbox) => readFileSync(join(s.home, "browser.log"), "utf8");

describe("ward login through the browser bridge", { timeout: 60_000 }, () => {
  it("--flow api_key --bridge: the key is pasted on the one-time page and stored; it never touches argv or the terminal", async () => {
    const s = await sandboxWithBrowser({ api_key: "sk-bridge-0123456789" });
    await addProvider(s, { ...ECHO, docs_url: "https://echo.example.test/keys" });
    const login = await runWard(["login", "echo", "--flow", "api_key", "--bridge", "--timeout", "30"], { env: s.env, timeoutMs: 40_000 });
    expect(login.code, `${login.stderr}\n${browserLog(s)}`).toBe(0);
    expect(login.stderr).toMatch(
      new RegExp(`Paste the API key for echo on this one-time page:\\n {2}http://127\\.0\\.0\\.1:${s.port}/bridge/[\\w-]{43}`),
    );
    expect(browserLog(s)).toContain('href="https://echo.example.test/keys"');
    expect(browserLog(s)).toContain("submitted 200");
    expect((await runWard(["get", "echo", "--field", "api_key"], { env: s.env })).stdout.trim()).toBe("sk-bridge-0123456789");
  });

  it("a provider without a client_id: the page shows the exact redirect URI with a Copy button and the setup link; the pasted client is kept", async () => {
    const s = await sandboxWithBrowser({ client_id: "acme-app", client_secret: "acme-secret" });
    const closed = await freePort();
    await addProvider(s, {
      name: "acme",
      authorization_endpoint: `http://127.0.0.1:${closed}/authorize`,
      token_endpoint: `http://127.0.0.1:${closed}/token`,
      flows: ["pkce"],
      default_flow: "pkce",
      docs_url: "https://acme.example.test/developers/apps",
    });
    const login = await runWard(["login", "acme", "--timeout", "3"], { env: s.env, timeoutMs: 40_000 });
    expect(login.stderr).toContain("Paste your OAuth app's client ID (and secret) for acme on this one-time page:");
    const page = browserLog(s);
    expect(page).toContain(
      `<code id="redirect-uri">http://127.0.0.1:${s.port}/auth/callback/oauth</code> <button type="button" id="copy">Copy</button>`,
    );
    expect(page).toContain('href="https://acme.example.test/developers/apps"');
    expect(page).toContain("submitted 200");
    // The pkce login then opened the provider's /authorize (nothing answers there) and timed out.
    expect(login.stderr).toContain("client_id=acme-app");
    expect(login.code).toBe(5);
    expect(JSON.parse((await runWard(["--json", "inspect", "acme"], { env: s.env })).stdout)).toMatchObject({
      client_id: "acme-app",
      client_source: "configured",
    });
  });

  it("nothing submitted in time: agent_bridge_not_answered with the URL and the fix (exit 5); nothing is stored", async () => {
    const s = await agentSandbox({ BROWSER: "/bin/true" });
    sandboxes.push(s);
    await addProvider(s, ECHO);
    const login = await runWard(["login", "echo", "--flow", "api_key", "--bridge", "--timeout", "2"], { env: s.env, timeoutMs: 30_000 });
    expect(login.code).toBe(5);
    expect(login.stderr).toMatch(
      /✗ agent_bridge_not_answered: Nothing was submitted on http:\/\/127\.0\.0\.1:\d+\/bridge\/\S+ within 2 seconds\./,
    );
    expect(login.stderr).toContain("Fix: Open the printed URL");
    expect(JSON.parse((await runWard(["--json", "list", "--connected"], { env: s.env })).stdout)).toEqual([]);
  });
});

describe("the bridge page itself (plain HTTP): CSRF, single use, expiry", { timeout: 60_000 }, () => {
  async function openBridge(s: AgentSandbox, ttlMs = 60_000) {
    const control = (path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${s.port}${path}`, { ...init, headers: { authorization: `Bearer ${s.daemonToken()}` } });
    const opened = await control("/bridges", {
      method: "POST",
      body: JSON.stringify({ kind: "api_key", provider: "echo", ttl_ms: ttlMs }),
    });
    expect(opened.status).toBe(201);
    const { url, id } = (await opened.json()) as { url: string; id: string };
    return { url, collect: async () => (await (await control(`/bridges/${id}`)).json()) as { status: string; answer?: unknown } };
  }
  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, { method: "POST", headers, body: new URLSearchParams(form) });

  it("refuses a post without the CSRF cookie, with a foreign Origin or a wrong token (403), and an empty key (400); accepts one; then 'already used'", async () => {
    const s = await agentSandbox();
    sandboxes.push(s);
    expect((await runWard(["daemon", "start"], { env: s.env })).code).toBe(0);
    const bridge = await openBridge(s);
    const page = await fetch(bridge.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[\w-]+'; form-action 'self'; frame-ancestors 'none'/);
    const setCookie = page.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    const cookie = setCookie.split(";")[0] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string;

    const noCookie = await post(bridge.url, { csrf, api_key: "sk-1" });
    expect(noCookie.status).toBe(403);
    expect(await noCookie.text()).toContain("Error code: agent_bridge_forbidden");
    const foreign = await post(bridge.url, { csrf, api_key: "sk-1" }, { cookie, origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain("Origin https://evil.example is not http://127.0.0.1");
    const wrongToken = await post(bridge.url, { csrf: `${csrf}x`, api_key: "sk-1" }, { cookie });
    expect(wrongToken.status).toBe(403);
    const empty = await post(bridge.url, { csrf, api_key: "  " }, { cookie });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("Error code: agent_bridge_field_invalid");
    expect(await bridge.collect()).toEqual({ status: "pending" });

    const saved = await post(bridge.url, { csrf, api_key: "sk-right" }, { cookie, origin: `http://127.0.0.1:${s.port}` });
    expect(saved.status).toBe(200);
    const again = await post(bridge.url, { csrf, api_key: "sk-other" }, { cookie });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("Error code: agent_bridge_used");
    expect((await fetch(bridge.url)).status).toBe(400);
    expect(await bridge.collect()).toEqual({ status: "submitted", answer: { api_key: "sk-right" } });
    expect(await bridge.collect()).toEqual({ status: "collected" });
  });

  it("DNS rebinding: with a Host other than 127.0.0.1/localhost:port the page and a post get 403, no CSRF token, nothing collected", async () => {
    const s = await agentSandbox();
    sandboxes.push(s);
    expect((await runWard(["daemon", "start"], { env: s.env })).code).toBe(0);
    const bridge = await openBridge(s);
    const page = await fetch(bridge.url);
    const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string;
    const rebound = (method: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const request = httpRequest(bridge.url, { method, headers: { ...headers, host: `evil.example:${s.port}` } }, (response) => {
          let text = "";
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
        });
        request.on("error", reject);
        request.end(body);
      });
    const shown = await rebound("GET", {});
    expect(shown.status).toBe(403);
    expect(shown.text).toContain("Host evil.example:");
    expect(shown.text).not.toContain(csrf);
    const posted = await rebound(
      "POST",
      { cookie, "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ csrf, api_key: "sk-rebound" }).toString(),
    );
    expect(posted.status).toBe(403);
    expect(await bridge.collect()).toEqual({ status: "pending" });
    const local = await fetch(bridge.url.replace("127.0.0.1", "localhost"));
    expect(local.status).toBe(200);
  });

  it("expires: after its time the page and a post with a valid token get agent_bridge_expired, and nothing is collected", async () => {
    const s = await agentSandbox();
    sandboxes.push(s);
    expect((await runWard(["daemon", "start"], { env: s.env })).code).toBe(0);
    const bridge = await openBridge(s, 1000);
    const page = await fetch(bridge.url);
    const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const late = await post(bridge.url, { csrf, api_key: "sk-late" }, { cookie });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain("Error code: agent_bridge_expired");
    expect(await (await fetch(bridge.url)).text()).toContain("This setup page has expired");
    expect(await bridge.collect()).toEqual({ status: "expired" });
  });
});
