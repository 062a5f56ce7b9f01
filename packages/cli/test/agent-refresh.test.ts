import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumUnavailable } from "../../server/test/support/chromium.js";
import type { TestWard } from "../../server/test/support/ward.js";
import { agentPaths } from "../src/agent/paths.js";
import { CredentialStore } from "../src/agent/store/credential-store.js";
import type { Connection } from "../src/agent/store/model.js";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { freePort } from "./ports.js";
import { runWard } from "./run-ward.js";
import { AGENT_RESOURCE, browserEnv, wardForAgent } from "./support/agent-ward.js";

const skip = chromiumUnavailable();
let t: TestWard;
let s: AgentSandbox;

beforeAll(async () => {
  if (skip) return;
  t = await wardForAgent();
  s = await agentSandbox();
  s.env = { ...s.env, ...browserEnv(s.home) };
  const add = ["providers", "add", "--issuer", t.publicUrl, "--name", "notes", "--client-id", "agent-cli"];
  expect((await runWard([...add, "--scopes", "notes:read,offline_access", "--resource", AGENT_RESOURCE], { env: s.env })).code).toBe(0);
  const login = await runWard(["login", "notes", "--timeout", "60"], { env: s.env, timeoutMs: 90_000 });
  expect(login.code, login.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await s?.cleanup();
  await t?.stop();
});

/** Marks the stored access token as expired (what the clock would do in an hour). */
async function expireAccessToken(): Promise<{ access: string; refresh: string }> {
  const env = { WARD_AGENT_HOME: s.home, WARD_AGENT_KEYRING: "off" };
  const store = await CredentialStore.open(agentPaths(env), env);
  const found = store.getConnection("notes");
  if (!found) throw new Error("not logged in");
  store.saveConnection("notes", found.name, { ...found.connection, expires_at: Date.now() - 1000 });
  return { access: found.connection.access_token as string, refresh: found.connection.refresh_token as string };
}

const refreshEvents = (via?: "daemon" | "file lock") =>
  readFileSync(join(s.home, "audit.log"), "utf8")
    .split("\n")
    .filter((line) => line.includes('"event":"refresh"') && (via === undefined || line.includes(`"detail":"via ${via}"`))).length;

/** 20 `ward get` at once; all must print one and the same new access token. */
async function twentyParallelGets(before: string): Promise<string> {
  const results = await Promise.all(
    Array.from({ length: 20 }, () => runWard(["get", "notes", "--field", "access_token"], { env: s.env, timeoutMs: 120_000 })),
  );
  for (const r of results) expect(r.code, r.stderr).toBe(0);
  const tokens = new Set(results.map((r) => r.stdout.trim()));
  expect(tokens.size).toBe(1);
  const [token] = tokens;
  expect(token).not.toBe(before);
  return token as string;
}

describe.skipIf(skip !== undefined)("refresh near expiry, single flight across processes", () => {
  it("with the daemon up, 20 parallel `ward get` cause one refresh, run by the daemon, and the refresh family stays valid", async () => {
    expect((await runWard(["daemon", "start"], { env: s.env })).code).toBe(0);
    const before = await expireAccessToken();
    expect(before.refresh).toBeTruthy();
    await twentyParallelGets(before.access);
    expect(refreshEvents()).toBe(1);
    expect(refreshEvents("daemon")).toBe(1);

    // The rotated refresh token was saved: refreshing again works (Ward saw no reuse, the family is intact).
    const second = await expireAccessToken();
    expect(second.refresh).not.toBe(before.refresh);
    const again = await runWard(["get", "notes", "--field", "access_token"], { env: s.env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).not.toBe(second.access);
    expect(refreshEvents()).toBe(2);
    expect(readFileSync(join(s.home, "audit.log"), "utf8")).not.toContain(second.refresh);
  }, 180_000);

  it("with the daemon down, the file lock makes 20 parallel `ward get` refresh once, and the family stays valid", async () => {
    expect((await runWard(["daemon", "stop"], { env: s.env })).code).toBe(0);
    const events = refreshEvents();
    const before = await expireAccessToken();
    await twentyParallelGets(before.access);
    expect(refreshEvents()).toBe(events + 1);
    expect(refreshEvents("file lock")).toBe(1);
    const again = await expireAccessToken();
    expect((await runWard(["get", "notes", "--field", "access_token"], { env: s.env })).code).toBe(0);
    expect(again.refresh).not.toBe(before.refresh);
    expect(refreshEvents()).toBe(events + 2);
  }, 180_000);

  it("ward doctor checks each connected provider's clock against its Date header and the run --proxy preload", async () => {
    const doctor = await runWard(["doctor"], { env: s.env });
    expect(doctor.stdout).toMatch(new RegExp(`✓ clock \\(notes\\): in sync with ${t.publicUrl}/token \\((±1|-?[0-9]+) s\\)`));
    expect(doctor.stdout).toMatch(/✓ run --proxy: Node children get .*fetch-preload\.js/);
  });

  it("a provider that cannot be reached: agent_refresh_unreachable (exit 4), no re-login asked, the stored tokens kept", async () => {
    const offline = join(s.home, "offline.json");
    const closed = await freePort(); // nothing listens there: connection refused
    writeFileSync(
      offline,
      JSON.stringify({
        name: "offline",
        authorization_endpoint: `http://127.0.0.1:${closed}/authorize`,
        token_endpoint: `http://127.0.0.1:${closed}/token`,
        flows: ["pkce"],
        default_flow: "pkce",
        client_id: "agent-cli",
      }),
    );
    expect((await runWard(["providers", "add", offline], { env: s.env })).code).toBe(0);
    const env = { WARD_AGENT_HOME: s.home, WARD_AGENT_KEYRING: "off" };
    const store = await CredentialStore.open(agentPaths(env), env);
    const notes = store.getConnection("notes");
    store.saveClient("offline", { client_id: "agent-cli", source: "configured" });
    store.saveConnection("offline", "default", { ...(notes?.connection as Connection), expires_at: Date.now() - 1000 });
    const before = store.getConnection("offline");
    for (const daemon of ["stop", "start"]) {
      expect((await runWard(["daemon", daemon], { env: s.env })).code).toBe(0);
      const result = await runWard(["get", "offline"], { env: s.env });
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toContain(
        "✗ agent_refresh_unreachable: Refreshing offline (default) did not get an answer from the provider: ",
      );
      expect(result.stderr).toContain(`Fetching http://127.0.0.1:${closed}/token failed: ECONNREFUSED. The stored tokens were kept`);
      expect(result.stderr).toContain("The stored tokens were kept; no new login is needed.");
      expect(store.getConnection("offline")).toEqual(before);
    }
  });

  it("a failed refresh says why (the provider's answer) and how to fix it (exit 3)", async () => {
    const { refresh } = await expireAccessToken();
    const revoked = await fetch(`${t.publicUrl}/revoke`, {
      method: "POST",
      body: new URLSearchParams({ token: refresh, client_id: "agent-cli" }),
    });
    expect(revoked.status).toBe(200);
    const result = await runWard(["get", "notes"], { env: s.env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      "✗ agent_refresh_failed: Refreshing notes (default) failed: The token endpoint of notes answered invalid_grant",
    );
    expect(result.stderr).toContain("Fix: Run `ward login <provider> --force`.");
  });
});
