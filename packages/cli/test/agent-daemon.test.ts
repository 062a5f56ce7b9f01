import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { runWard, startWard } from "./run-ward.js";

const sandboxes: AgentSandbox[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});

async function sandbox() {
  const s = await agentSandbox();
  sandboxes.push(s);
  return s;
}

describe("agent daemon lifecycle", { timeout: 60_000 }, () => {
  it("starts on demand, answers /health with its version, is reused by a second start, and stops", async () => {
    const s = await sandbox();
    const first = await runWard(["--json", "daemon", "start"], { env: s.env });
    expect(first.code, first.stderr).toBe(0);
    const started = JSON.parse(first.stdout);
    expect(started).toMatchObject({
      running: true,
      started: true,
      port: s.port,
      callback: `http://127.0.0.1:${s.port}/auth/callback/oauth`,
    });
    const health = (await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as Record<string, unknown>;
    expect(health).toEqual({ service: "ward-agent-daemon", version: "0.1.0", pid: started.pid, port: s.port, waiting: 0 });
    const second = JSON.parse((await runWard(["--json", "daemon", "start"], { env: s.env })).stdout);
    expect(second).toMatchObject({ started: false, pid: started.pid });
    expect((await runWard(["daemon", "status"], { env: s.env })).stdout).toContain(`running: PID ${started.pid}, Ward 0.1.0`);
    expect((await runWard(["daemon", "stop"], { env: s.env })).stdout.trim()).toBe("stopped");
    expect((await runWard(["daemon", "status"], { env: s.env })).stdout.trim()).toBe("not running");
    expect((await runWard(["daemon", "logs"], { env: s.env })).stdout).toContain("ward agent daemon listening");
  });

  it.skipIf(process.platform !== "linux")(
    "the daemon never holds WARD_AGENT_MASTER_KEY, even when `ward daemon start` had it",
    async () => {
      const key = "4".repeat(64);
      const s = await sandbox();
      const started = await runWard(["--json", "daemon", "start"], { env: { ...s.env, WARD_AGENT_MASTER_KEY: key } });
      expect(started.code, started.stderr).toBe(0);
      const { pid } = JSON.parse(started.stdout) as { pid: number };
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      expect(environ).toContain(`WARD_AGENT_HOME=${s.home}`);
      expect(environ).not.toContain("WARD_AGENT_MASTER_KEY");
      expect(environ).not.toContain(key);
    },
  );

  it("port held by another program: exit 1 with agent_port_in_use, the port, the holder's PID and the fix", async () => {
    const s = await sandbox();
    const holder = spawn(process.execPath, [
      "-e",
      `require("node:http").createServer((q, r) => r.end("not ward")).listen(${s.port}, "127.0.0.1", () => console.log("up"))`,
    ]);
    children.push(holder);
    await once(holder.stdout, "data");
    const result = await runWard(["daemon", "start"], { env: s.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`✗ agent_port_in_use: 127.0.0.1:${s.port} is already in use by PID ${holder.pid} (`);
    expect(result.stderr).toContain("which is not a Ward daemon");
    expect(result.stderr).toContain("Fix: Stop that program (`kill <pid>`");
    expect(result.stderr).toContain("WARD_AGENT_PORT");
  });
});

describe("OAuth callback /auth/callback/oauth", { timeout: 60_000 }, () => {
  async function daemonWithLogin(state: string) {
    const s = await sandbox();
    expect((await runWard(["daemon", "start"], { env: s.env })).code).toBe(0);
    const control = (path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${s.port}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${s.daemonToken()}`, "content-type": "application/json" },
      });
    expect((await control("/logins", { method: "POST", body: JSON.stringify({ state, ttl_ms: 60_000 }) })).status).toBe(201);
    const callback = (query: string) => fetch(`http://127.0.0.1:${s.port}/auth/callback/oauth?${query}`);
    return { s, control, callback };
  }

  it("accepts the matching state once and hands the code to the CLI's poll", async () => {
    const state = "s".repeat(32);
    const { control, callback } = await daemonWithLogin(state);
    const page = await callback(`code=abc&state=${state}&iss=http%3A%2F%2F127.0.0.1`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Login complete");
    expect(await (await control(`/logins/${state}`)).json()).toEqual({
      status: "received",
      result: { code: "abc", iss: "http://127.0.0.1", error: undefined, error_description: undefined },
    });
  });

  it("state mismatch: its own page naming the state and the fix, and the waiting login learns of it", async () => {
    const state = "m".repeat(32);
    const { control, callback } = await daemonWithLogin(state);
    const page = await callback("code=abc&state=forged-state");
    expect(page.status).toBe(400);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain("<title>OAuth state parameter does not match</title>");
    expect(html).toContain("The callback carried state forged-state, which no login in progress sent.");
    expect(html).toContain("Fix: Close old login tabs and run `ward login &lt;provider&gt; --force` again");
    expect(await (await control(`/logins/${state}`)).json()).toEqual({ status: "pending", mismatch: "forged-state" });
  });

  it("a stale tab (its login already finished) gets its own page, not the mismatch page", async () => {
    const state = "t".repeat(32);
    const { control, callback } = await daemonWithLogin(state);
    expect((await callback(`code=first&state=${state}`)).status).toBe(200);
    await control(`/logins/${state}`);
    const page = await callback(`code=again&state=${state}`);
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain("<title>Callback from a finished login</title>");
    expect(html).toContain(`The callback carried state ${state}, of a login that already finished.`);
    expect(html).toContain("Fix: Close this tab.");
  });

  it("control routes refuse requests without the daemon's token (agent_daemon_unauthorized) and leak nothing", async () => {
    const state = "u".repeat(32);
    const { s, control, callback } = await daemonWithLogin(state);
    expect((await callback(`state=${state}&code=the-code`)).status).toBe(200);
    for (const authorization of [undefined, "Bearer not-the-token"]) {
      const response = await fetch(`http://127.0.0.1:${s.port}/logins/${state}`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { code: string; message: string; fix: string } };
      expect(body.error.code).toBe("agent_daemon_unauthorized");
      expect(body.error.message).toBe(
        `GET /logins/${state} on the agent daemon needs the bearer token from ${join(s.home, "daemon.token")}; the request carried ${
          authorization ? "another token" : "no Authorization header"
        }.`,
      );
      expect(JSON.stringify(body)).not.toContain("the-code");
    }
    // The refused polls did not consume the callback: the CLI still collects it.
    expect(await (await control(`/logins/${state}`)).json()).toMatchObject({ status: "received", result: { code: "the-code" } });
  });

  it("malformed control requests are agent_daemon_request_invalid naming the field, value and what was expected", async () => {
    const { control } = await daemonWithLogin("w".repeat(32));
    const cases: [string, string, RequestInit, string, string][] = [
      ["POST", "/logins", { body: JSON.stringify({ state: "short" }) }, "state", '"short"'],
      ["POST", "/logins", { body: JSON.stringify({ state: "s".repeat(32), ttl_ms: 7_200_001 }) }, "ttl_ms", "7200001"],
      ["POST", "/logins", { body: "{not json" }, "body", "not JSON"],
      ["POST", "/logins", { body: "[1]" }, "body", "object"],
      ["POST", "/bridges", { body: JSON.stringify({ kind: "password", provider: "p" }) }, "kind", '"password"'],
      ["POST", "/refresh", { body: JSON.stringify({ provider: "p", connection: "default" }) }, "seen", "missing"],
      ["POST", "/logins", { body: "x".repeat(20_000) }, "body", "more than 16384 bytes"],
      ["PUT", "/logins", {}, "route", "no such control route"],
    ];
    for (const [method, path, init, field, received] of cases) {
      const response = await control(path, { ...init, method });
      expect(response.status, `${method} ${path}`).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string; params: Record<string, string> } };
      expect(body.error.code).toBe("agent_daemon_request_invalid");
      expect(body.error.params).toMatchObject({ field, method, path, received });
      expect(body.error.message).toContain(`${field} of ${method} ${path} is ${received}; expected `);
    }
  });
});

/** A process that answers /health as a Ward daemon of another version, and exits on /shutdown. */
async function fakeOldDaemon(s: AgentSandbox, waiting: number) {
  const script = `
    const server = require("node:http").createServer((q, r) => {
      if (q.url === "/health") return r.end(JSON.stringify({ service: "ward-agent-daemon", version: "0.0.9", pid: process.pid, port: ${s.port}, waiting: ${waiting} }));
      if (q.url === "/shutdown") { r.end("{}"); return process.exit(0); }
      r.statusCode = 404; r.end();
    }).listen(${s.port}, "127.0.0.1", () => console.log("up"));`;
  const old = spawn(process.execPath, ["-e", script]);
  children.push(old);
  await once(old.stdout, "data");
  return old;
}

describe("a daemon of another Ward version on the port", { timeout: 60_000 }, () => {
  it("an idle one is stopped and replaced by this version", async () => {
    const s = await sandbox();
    const old = await fakeOldDaemon(s, 0);
    const exited = once(old, "exit");
    const result = await runWard(["--json", "daemon", "start"], { env: s.env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ started: true, replaced: "0.0.9" });
    await exited;
    const health = (await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ service: "ward-agent-daemon", version: "0.1.0" });
    expect(health.pid).not.toBe(old.pid);
  });

  it("one waiting for a login is left running: agent_daemon_version_mismatch says why and how to fix it", async () => {
    const s = await sandbox();
    const old = await fakeOldDaemon(s, 1);
    const result = await runWard(["daemon", "start"], { env: s.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `✗ agent_daemon_version_mismatch: The daemon on 127.0.0.1:${s.port} is Ward 0.0.9; this CLI is Ward 0.1.0. It was not replaced because it is waiting for 1 browser login(s) or setup page(s).`,
    );
    expect(result.stderr).toContain("Fix: Finish or cancel the login the old daemon waits for, then retry; or run `ward daemon restart`");
    expect(old.exitCode).toBeNull();
    expect((await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as Record<string, unknown>).toMatchObject({
      version: "0.0.9",
    });
  });
});

/** A provider whose endpoints nobody serves (port 9, discard): the login can only wait for the daemon's callback. */
async function addUnreachableProvider(s: AgentSandbox) {
  const file = join(s.home, "idp.json");
  writeFileSync(
    file,
    JSON.stringify({
      name: "idp",
      authorization_endpoint: "http://127.0.0.1:9/authorize",
      token_endpoint: "http://127.0.0.1:9/token",
      flows: ["pkce"],
      default_flow: "pkce",
      client_id: "agent-cli",
    }),
  );
  expect((await runWard(["providers", "add", file], { env: s.env })).code).toBe(0);
}

describe("a login waiting for its callback", { timeout: 60_000 }, () => {
  it("over SSH with no $BROWSER: prints the URL, says no browser will open and suggests --flow device_code; then times out (exit 5)", async () => {
    const s = await sandbox();
    await addUnreachableProvider(s);
    const env = { ...s.env, SSH_CONNECTION: "10.0.0.2 50000 10.0.0.1 22", BROWSER: "" };
    const login = await runWard(["login", "idp", "--timeout", "2"], { env });
    expect(login.code).toBe(5);
    expect(login.stderr).toMatch(
      /Open this URL to log in to idp:\n {2}http:\/\/127\.0\.0\.1:9\/authorize\?response_type=code&client_id=agent-cli/,
    );
    expect(login.stderr).toContain(
      "No browser will open: this is an SSH session. Open the URL on this machine, or use --flow device_code.",
    );
    expect(login.stderr).toContain(
      `✗ agent_login_timeout: No callback reached http://127.0.0.1:${s.port}/auth/callback/oauth within 2 seconds.`,
    );
  });

  it("a callback with another state does not abort the login (a web page cannot end it); the real callback still completes it", async () => {
    const s = await sandbox();
    await addUnreachableProvider(s);
    // $BROWSER=true opens nothing: the test plays the browser.
    const login = await startWard(["login", "idp", "--timeout", "40"], "Waiting for the callback on", {
      env: { ...s.env, BROWSER: "true" },
    });
    const exited = login.finished;
    const forged = await fetch(`http://127.0.0.1:${s.port}/auth/callback/oauth?code=attacker&state=replayed`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("Error code: agent_oauth_state_mismatch");
    await expect
      .poll(() => login.stderr(), { timeout: 10_000 })
      .toContain("A callback arrived with state replayed, which is not this login's");
    const state = /[?&]state=([^&\s]+)/.exec(login.stderr())?.[1] as string;
    const real = await fetch(`http://127.0.0.1:${s.port}/auth/callback/oauth?code=the-code&state=${state}`);
    expect(real.status).toBe(200);
    // The login went on to redeem the code (at a token endpoint nobody serves), not to a mismatch.
    expect(await exited).toBe(4);
    expect(login.stderr()).toContain("✗ agent_discovery_failed: Fetching http://127.0.0.1:9/token failed");
    expect(login.stderr()).not.toContain("✗ agent_oauth_state_mismatch");
  });

  it("only a callback with another state before the deadline: agent_oauth_state_mismatch (exit 3) says how to retry", async () => {
    const s = await sandbox();
    await addUnreachableProvider(s);
    const login = await startWard(["login", "idp", "--timeout", "5"], "Waiting for the callback on", {
      env: { ...s.env, BROWSER: "true" },
    });
    const exited = login.finished;
    expect((await fetch(`http://127.0.0.1:${s.port}/auth/callback/oauth?code=attacker&state=replayed`)).status).toBe(400);
    expect(await exited).toBe(3);
    expect(login.stderr()).toContain("✗ agent_oauth_state_mismatch: The callback carried state replayed, which no login in progress sent.");
    expect(login.stderr()).toContain("Fix: Close old login tabs and run `ward login <provider> --force` again");
  });

  it("the daemon answers nothing under another Host name (DNS rebinding): 403 agent_daemon_host_refused", async () => {
    const s = await sandbox();
    expect((await runWard(["daemon", "start"], { env: s.env })).code).toBe(0);
    for (const path of ["/health", "/auth/callback/oauth?state=x&code=y", `/logins/${"u".repeat(32)}`]) {
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port: s.port, path, headers: { host: `rebind.example:${s.port}` } }, (res) => {
          let body = "";
          res.on("data", (chunk) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(response.status, path).toBe(403);
      expect(response.body).toContain(`this request named Host rebind.example:${s.port}`);
      expect(response.body).toContain("Error code: agent_daemon_host_refused");
      expect(response.body).not.toContain('"pid"');
    }
    expect((await fetch(`http://localhost:${s.port}/health`)).status).toBe(200);
  });
});
