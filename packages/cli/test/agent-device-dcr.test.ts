import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../../server/test/support/browser.js";
import { chromiumUnavailable } from "../../server/test/support/chromium.js";
import { DEVICE_GRANT, reachDeviceConsent } from "../../server/test/support/device.js";
import type { TestWard } from "../../server/test/support/ward.js";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { runWard, startWard } from "./run-ward.js";
import { AGENT_RESOURCE, browserEnv, wardForAgent } from "./support/agent-ward.js";
import { echoApi, trustTestApi } from "./support/echo-api.js";

let t: TestWard;
let clockOffset = 0;
const sandboxes: AgentSandbox[] = [];
beforeAll(async () => {
  t = await wardForAgent(
    { grants: { device_code: true }, device: { interval: 1 }, registration: { policy: "open" } },
    { now: () => Date.now() + clockOffset },
  );
  const device = await t.admin("/admin/v1/clients", {
    body: {
      client_id: "agent-device",
      client_name: "Ward agent CLI on a headless box",
      grant_types: [DEVICE_GRANT, "refresh_token"],
      token_endpoint_auth_method: "none",
    },
  });
  expect(device.status, await device.clone().text()).toBe(201);
});
afterAll(async () => t?.stop());
let api: Awaited<ReturnType<typeof echoApi>>;
beforeAll(async () => {
  api = await echoApi();
});
afterAll(async () => {
  api?.server.closeAllConnections();
  await new Promise((resolve) => api?.server.close(resolve));
});
afterEach(async () => {
  clockOffset = 0;
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});

/** A sandbox with the live Ward added by discovery as provider `notes`. */
async function withProvider(clientId?: string) {
  const s = await agentSandbox();
  sandboxes.push(s);
  const args = ["providers", "add", "--issuer", t.publicUrl, "--name", "notes", "--scopes", "notes:read", "--resource", AGENT_RESOURCE];
  const added = await runWard(clientId ? [...args, "--client-id", clientId] : args, { env: s.env });
  expect(added.code, added.stderr).toBe(0);
  return s;
}

/** Starts `ward login notes --flow device_code` and reads the user code it prints. */
async function startDeviceLogin(s: AgentSandbox) {
  const login = await startWard(["login", "notes", "--flow", "device_code", "--timeout", "120"], "enter the code", { env: s.env });
  const printed = /open (\S+) and enter the code (\S+)/.exec(login.stderr());
  expect(printed?.[1]).toBe(`${t.publicUrl}/device`);
  return { login, userCode: printed?.[2] as string, exited: login.finished };
}

describe("ward providers add --issuer / inspect against a Ward with the device flow and open registration", () => {
  it("discovers pkce, device_code and dcr_pkce; inspect shows device and DCR support", async () => {
    const s = await withProvider();
    const list = JSON.parse((await runWard(["--json", "providers", "list"], { env: s.env })).stdout) as { name: string; flows: string[] }[];
    expect(list.find((p) => p.name === "notes")?.flows).toEqual(["pkce", "device_code", "dcr_pkce"]);
    const inspect = await runWard(["--json", "inspect", "notes"], { env: s.env });
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({
      supports_dcr: true,
      supports_device_code: true,
      discovered: {
        device_authorization_endpoint: `${t.publicUrl}/device_authorization`,
        registration_endpoint: `${t.publicUrl}/register`,
      },
    });
    const text = await runWard(["inspect", "notes"], { env: s.env });
    expect(text.stdout).toMatch(/supports_device_code\s+true/);
    expect(text.stdout).toMatch(/supports_dcr\s+true/);
  });
});

describe("ward login --flow device_code against a live Ward (the user enters the code on Ward's /device page)", { timeout: 60_000 }, () => {
  it("Allow: the CLI's polling gets tokens for the granted scope; ward run --proxy injects the access token", async () => {
    const s = await withProvider("agent-device");
    const { userCode, exited, login } = await startDeviceLogin(s);
    const browser = new TestBrowser(t.publicUrl);
    const consent = await reachDeviceConsent(t, userCode, browser);
    expect((await browser.submit(consent, {}, "Allow")).title).toBe("Device connected");
    expect(await exited, login.stderr()).toBe(0);
    expect(login.output()).toContain("✓ Logged in to notes (default), scopes: notes:read");
    const token = (await runWard(["get", "notes", "--field", "access_token"], { env: s.env })).stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString());
    expect(claims).toMatchObject({ iss: t.publicUrl, aud: AGENT_RESOURCE, client_id: "agent-device", scope: "notes:read" });

    // ward run --proxy: the API gets `Authorization: Bearer <Ward's access token>`, the child's environment does not hold it.
    const fetchAndDump = `fetch("https://${api.host}/notes").then((r) => console.log(JSON.stringify({ status: r.status, env: process.env })))`;
    const run = await runWard(
      ["run", "--proxy", "--provider", "notes", "--api-host", api.host, "--", process.execPath, "-e", fetchAndDump],
      {
        env: { ...s.env, ...trustTestApi(s.home) },
        timeoutMs: 30_000,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(api.seen).toEqual([`Bearer ${token}`]);
    const child = JSON.parse(run.stdout) as { status: number; env: Record<string, string> };
    expect(child.status).toBe(200);
    expect(JSON.stringify(child.env)).not.toContain(token);
  });

  it("Deny: the login ends with agent_authorization_denied access_denied and its fix (exit 3); nothing is stored", async () => {
    const s = await withProvider("agent-device");
    const { userCode, exited, login } = await startDeviceLogin(s);
    const browser = new TestBrowser(t.publicUrl);
    await browser.submit(await reachDeviceConsent(t, userCode, browser), {}, "Deny");
    expect(await exited).toBe(3);
    expect(login.stderr()).toContain("✗ agent_authorization_denied: The provider answered the authorization request with access_denied");
    expect(login.stderr()).toContain("Fix: ");
    expect(JSON.parse((await runWard(["--json", "list", "--connected"], { env: s.env })).stdout)).toEqual([]);
  });

  it("expired_token: Ward's device code expires while the CLI polls; the login ends with agent_device_login_expired and its fix", async () => {
    const s = await withProvider("agent-device");
    const { userCode, exited, login } = await startDeviceLogin(s);
    clockOffset = 3600_000;
    expect(await exited).toBe(5);
    expect(login.stderr()).toContain(`✗ agent_device_login_expired: The user code ${userCode} was not entered and approved at`);
    expect(login.stderr()).toContain("Fix: Run `ward login <provider> --flow device_code --force`");
    expect(JSON.parse((await runWard(["--json", "list", "--connected"], { env: s.env })).stdout)).toEqual([]);
  });
});

describe.skipIf(chromiumUnavailable() !== undefined)(
  "ward login --flow dcr_pkce against Ward's open registration",
  { timeout: 120_000 },
  () => {
    it("registers once per provider and issuer, keeps the registered client, and completes in the browser", async () => {
      const s = await withProvider();
      s.env = { ...s.env, ...browserEnv(s.home) };
      const first = await runWard(["login", "notes", "--flow", "dcr_pkce", "--timeout", "60"], { env: s.env, timeoutMs: 90_000 });
      expect(first.code, `${first.stderr}\n${readFileSync(join(s.home, "browser.log"), "utf8")}`).toBe(0);
      const registered = /Registered client (\S+) at (\S+)/.exec(first.stderr);
      expect(registered?.[2]).toBe(`${t.publicUrl}/register`);
      const clientId = registered?.[1] as string;
      expect(first.stdout).toContain("✓ Logged in to notes (default), scopes: notes:read");
      const inspect = JSON.parse((await runWard(["--json", "inspect", "notes"], { env: s.env })).stdout);
      expect(inspect).toMatchObject({ client_id: clientId, client_source: "dcr" });
      const atWard = await t.admin(`/admin/v1/clients/${encodeURIComponent(clientId)}`);
      expect(atWard.status).toBe(200);
      expect(((await atWard.json()) as { redirect_uris: string[] }).redirect_uris).toEqual([
        `http://127.0.0.1:${s.port}/auth/callback/oauth`,
      ]);

      const again = await runWard(["login", "notes", "--flow", "dcr_pkce", "--force", "--timeout", "60"], {
        env: s.env,
        timeoutMs: 90_000,
      });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toContain("Registered client");
      expect(again.stderr).toContain(`client_id=${encodeURIComponent(clientId)}`);
      const token = (await runWard(["get", "notes", "--field", "access_token"], { env: s.env })).stdout.trim();
      expect(JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()).client_id).toBe(clientId);
    });
  },
);
