import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../../server/test/support/browser.js";
import { DEVICE_GRANT, reachDeviceConsent } from "../../server/test/support/device.js";
import type { TestWard } from "../../server/test/support/ward.js";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { runWard, startWard } from "./run-ward.js";
import { AGENT_RESOURCE, wardForAgent } from "./support/agent-ward.js";

let t: TestWard;
let narrowing: Server;
let narrowingOrigin: string;
const sandboxes: AgentSandbox[] = [];

/**
 * A provider's device and token endpoints that grant only `repo` of what was asked (RFC 6749 §3.3 lets a
 * server issue fewer scopes and say so in `scope`); the device is approved at once.
 */
function startNarrowingProvider(): Promise<Server> {
  const server = createServer((request, response) => {
    const json = (body: unknown) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (request.url === "/device_authorization")
      return json({
        device_code: "dc-1",
        user_code: "ABCD-EFGH",
        verification_uri: `${narrowingOrigin}/device`,
        interval: 1,
        expires_in: 60,
      });
    if (request.url === "/token")
      return json({ access_token: "narrow-access-token", token_type: "bearer", expires_in: 3600, scope: "repo" });
    response.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  t = await wardForAgent({ grants: { device_code: true }, device: { interval: 1 } });
  // Device grant only: Ward issues no refresh token to it, whatever scope it asks for.
  const created = await t.admin("/admin/v1/clients", {
    body: {
      client_id: "agent-no-refresh",
      client_name: "Agent without refresh",
      grant_types: [DEVICE_GRANT],
      token_endpoint_auth_method: "none",
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  narrowing = await startNarrowingProvider();
  narrowingOrigin = `http://127.0.0.1:${(narrowing.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.stop();
  await new Promise((resolve) => narrowing?.close(resolve));
});
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});

describe("missing scope: the CLI names the scope it did not get (agent_scope_missing, exit 3)", { timeout: 60_000 }, () => {
  it("Ward issues no refresh token to a client without the refresh_token grant: offline_access is named missing", async () => {
    const s = await agentSandbox();
    sandboxes.push(s);
    const added = await runWard(
      ["providers", "add", "--issuer", t.publicUrl, "--name", "notes", "--client-id", "agent-no-refresh", "--resource", AGENT_RESOURCE],
      { env: s.env },
    );
    expect(added.code, added.stderr).toBe(0);
    const login = await startWard(
      ["login", "notes", "--flow", "device_code", "--scopes", "notes:read,offline_access", "--timeout", "60"],
      "enter the code",
      { env: s.env },
    );
    const exited = login.finished;
    const userCode = /enter the code (\S+)/.exec(login.stderr())?.[1] as string;
    const browser = new TestBrowser(t.publicUrl);
    expect((await browser.submit(await reachDeviceConsent(t, userCode, browser), {}, "Allow")).title).toBe("Device connected");
    expect(await exited, login.stderr()).toBe(3);
    expect(login.stderr()).toContain("✗ agent_scope_missing: Provider notes granted notes:read; missing offline_access.");
    expect(login.stderr()).toContain("Fix: Run `ward login <provider> --scopes <scope1>,<scope2> --force`");
  });

  it("a provider whose token response grants fewer scopes than asked: the missing ones are named, --json lists them", async () => {
    const s = await agentSandbox();
    sandboxes.push(s);
    const file = join(s.home, "narrow.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "narrow",
        device_authorization_endpoint: `${narrowingOrigin}/device_authorization`,
        token_endpoint: `${narrowingOrigin}/token`,
        flows: ["device_code"],
        default_flow: "device_code",
        client_id: "narrow-cli",
      }),
    );
    expect((await runWard(["providers", "add", file], { env: s.env })).code).toBe(0);
    const login = await runWard(["login", "narrow", "--scopes", "repo,read:org,workflow", "--timeout", "20"], {
      env: s.env,
      timeoutMs: 30_000,
    });
    expect(login.code).toBe(3);
    expect(login.stderr).toContain("✗ agent_scope_missing: Provider narrow granted repo; missing read:org workflow.");
    const json = await runWard(["--json", "login", "narrow", "--force", "--scopes", "repo,workflow", "--timeout", "20"], {
      env: s.env,
      timeoutMs: 30_000,
    });
    expect(json.code).toBe(3);
    // stdout holds the login's JSON, then the error's.
    const first = json.stdout.slice(0, json.stdout.indexOf("\n}") + 2);
    expect(JSON.parse(first)).toMatchObject({ scopes: ["repo"], missing_scopes: ["workflow"] });
    expect(JSON.parse(json.stdout.slice(first.length))).toMatchObject({ error: { code: "agent_scope_missing" } });
  });
});
