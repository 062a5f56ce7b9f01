import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WardError } from "@ward/core";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { agentAction } from "../src/agent/commands/action.js";
import { deviceLogin } from "../src/agent/oauth/device-login.js";
import { discoverProtectedResource } from "../src/agent/oauth/discovery.js";
import { pkceLogin } from "../src/agent/oauth/pkce-login.js";
import { requestTokens } from "../src/agent/oauth/token-endpoint.js";
import { agentPaths } from "../src/agent/paths.js";
import { validateProvider } from "../src/agent/providers/provider-schema.js";
import { deleteProvider } from "../src/agent/providers/registry.js";
import { DAEMON_SERVICE, WARD_VERSION } from "../src/agent/version.js";
import { agentSandbox } from "./agent-env.js";
import { freePort } from "./ports.js";
import { runWard } from "./run-ward.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback HTTP server answering every request with `handler`; returns its base URL. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (body: unknown) => (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));

/** A device login (public client `cli`) against a test server's /device and /token. */
const deviceLoginAt = (base: string, timeoutMs: number, say: (line: string) => void = () => {}) =>
  deviceLogin({
    provider: "acme",
    endpoints: { device_authorization_endpoint: `${base}/device`, token_endpoint: `${base}/token` },
    client: { client_id: "cli", source: "configured" },
    scopes: [],
    timeoutMs,
    say,
  });

const exchange = (tokenEndpoint: string) =>
  requestTokens({
    provider: "acme",
    tokenEndpoint: `${tokenEndpoint}/token`,
    client: { client_id: "cli", source: "configured" },
    params: { grant_type: "authorization_code", code: "c" },
  });

describe("token responses Ward cannot use are refused (RFC 6749 §7.1, Appendix A.12)", () => {
  it("a DPoP-bound token (token_type DPoP) is agent_token_response_invalid naming token_type", async () => {
    const base = await serve(json({ access_token: "at-0123456789", token_type: "DPoP", expires_in: 60 }));
    await expect(exchange(base)).rejects.toMatchObject({
      code: "agent_token_response_invalid",
      message: expect.stringContaining('returned token_type "DPoP"; expected "Bearer"'),
    });
  });

  it("an access token with a line break is refused without echoing it", async () => {
    const token = "secret-part\r\nX-Injected: 1";
    const base = await serve(json({ access_token: token, token_type: "Bearer" }));
    const error = await exchange(base).catch((e: Error) => e);
    expect(error).toMatchObject({
      code: "agent_token_response_invalid",
      message: expect.stringContaining("returned access_token a 26-character value"),
    });
    expect((error as Error).message).not.toContain("secret-part");
  });

  it("a 200 answer that is not JSON (form-encoded tokens) is refused without quoting the body", async () => {
    const base = await serve((_req, res) =>
      res.writeHead(200, { "content-type": "application/x-www-form-urlencoded" }).end("access_token=gho_leaked_value&token_type=bearer"),
    );
    const error = await exchange(base).catch((e: Error) => e);
    expect(error).toMatchObject({ code: "agent_token_request_failed", message: expect.stringContaining("the answer is not JSON") });
    expect((error as Error).message).not.toContain("gho_leaked_value");
  });

  it("ends the command with exit 3, like any refusal by the provider", async () => {
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await agentAction(async (_command: Command) => {
        throw new WardError("agent_token_response_invalid", {
          provider: "acme",
          field: "token_type",
          received: '"DPoP"',
          expected: '"Bearer"',
        });
      })(new Command());
      expect(process.exitCode).toBe(3);
    } finally {
      spy.mockRestore();
      process.exitCode = undefined;
    }
  });

  it("bearer in any case, or no token_type at all, is accepted as Bearer", async () => {
    for (const token_type of ["bearer", undefined]) {
      const base = await serve(json({ access_token: "at-0123456789", token_type }));
      await expect(exchange(base)).resolves.toMatchObject({ access_token: "at-0123456789", token_type: token_type ?? "Bearer" });
    }
  });
});

describe("RFC 9728 §3.3: Protected Resource Metadata must be about the URL it was fetched for", () => {
  const prm = (resource: string) => json({ resource, authorization_servers: ["https://as.example"] });

  it("metadata naming another resource is agent_discovery_failed: Ward never asks tokens for it on this server's word", async () => {
    const base = await serve(prm("https://api.victim.example/mcp"));
    await expect(discoverProtectedResource(`${base}/mcp`)).rejects.toMatchObject({
      code: "agent_discovery_failed",
      message: expect.stringContaining(`its resource is https://api.victim.example/mcp, expected ${base}/mcp (RFC 9728 §3.3`),
    });
  });

  it("the same URL (up to a trailing slash) is accepted", async () => {
    let base = "";
    base = await serve((req, res) => prm(`${base}/mcp/`)(req, res));
    await expect(discoverProtectedResource(`${base}/mcp`)).resolves.toMatchObject({ resource: `${base}/mcp/` });
  });
});

describe("the authorization URL from metadata is opened only when it is https (or http on loopback)", () => {
  it("a file: authorization_endpoint is agent_discovery_failed and $BROWSER never runs", async () => {
    const home = mkdtempSync(join(tmpdir(), "ward-hardening-"));
    try {
      const marker = join(home, "browser-ran");
      const attempt = pkceLogin({
        paths: agentPaths({ WARD_AGENT_HOME: home }),
        port: await freePort(),
        env: { BROWSER: `/usr/bin/touch ${marker}`, WARD_AGENT_HOME: home },
        provider: "evil-mcp",
        endpoints: { authorization_endpoint: "file:///etc/passwd", token_endpoint: "https://as.example/token" },
        client: { client_id: "cli", source: "configured" },
        scopes: [],
        timeoutMs: 1000,
        say: () => {},
      });
      await expect(attempt).rejects.toMatchObject({
        code: "agent_discovery_failed",
        message: expect.stringContaining("Fetching file:///etc/passwd failed: only https URLs"),
      });
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("provider text never reaches the terminal raw (ESC sequences, bidi overrides)", () => {
  const hostile = "\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2J\u202etxt.exe";
  const raw = (text: string) => ["\u001b", "\u0007", "\u202e"].some((c) => text.includes(c));

  it("a WardError quoting a provider's error_description is printed with its control characters escaped", async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      await agentAction(async (_command: Command) => {
        throw new WardError("agent_token_request_failed", { provider: "acme", error: "invalid_grant", error_description: hostile });
      })(new Command());
    } finally {
      spy.mockRestore();
      process.exitCode = undefined;
    }
    const text = written.join("");
    expect(text).toContain("\\u001b]52;c;cm0gLXJmIH4=\\u0007\\u001b[2J\\u202etxt.exe");
    expect(raw(text)).toBe(false);
  });

  it("`ward log` shows a refresh_failed detail quoting the provider with its control characters escaped", async () => {
    const s = await agentSandbox();
    try {
      const event = {
        time: "2026-12-04T00:00:00.000Z",
        pid: 1,
        event: "refresh_failed",
        provider: "acme",
        detail: `invalid_grant: ${hostile}`,
      };
      writeFileSync(join(s.home, "audit.log"), `${JSON.stringify(event)}\n`);
      const log = await runWard(["log"], { env: s.env });
      expect(log.code, log.stderr).toBe(0);
      expect(log.stdout).toContain("invalid_grant: \\u001b]52;c;");
      expect(raw(log.stdout)).toBe(false);
    } finally {
      await s.cleanup();
    }
  });

  it("the device flow's user code and verification URI are shown escaped", async () => {
    const base = await serve((req, res) => {
      if (req.url === "/device")
        return json({
          device_code: "dc",
          user_code: `WDJB-MJHT${hostile}`,
          verification_uri: `https://as.example/device${hostile}`,
          interval: 0,
        })(req, res);
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "access_denied" }));
    });
    const said: string[] = [];
    await expect(deviceLoginAt(base, 5000, (line) => said.push(line))).rejects.toMatchObject({ code: "agent_authorization_denied" });
    expect(said.join("\n")).toContain("enter the code WDJB-MJHT\\u001b]52;c;");
    expect(raw(said.join("\n"))).toBe(false);
  });
});

describe("RFC 8628 polling", () => {
  it("a device authorization answer with interval 0 is polled at most once a second, not in a tight loop", async () => {
    let polls = 0;
    const base = await serve((req, res) => {
      if (req.url === "/device")
        return json({
          device_code: "dc",
          user_code: "ABCD-EFGH",
          verification_uri: "https://as.example/device",
          interval: 0,
          expires_in: 2,
        })(req, res);
      polls++;
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "authorization_pending" }));
    });
    await expect(deviceLoginAt(base, 2500)).rejects.toMatchObject({
      code: expect.stringMatching(/^agent_(device_login_expired|login_timeout)$/),
    });
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(polls).toBeLessThanOrEqual(3);
  });
});

describe("ward providers remove", () => {
  it("a name that is a path (../x) deletes nothing outside providers/", () => {
    const home = mkdtempSync(join(tmpdir(), "ward-hardening-"));
    try {
      const victim = join(home, "victim.json");
      writeFileSync(victim, "{}");
      expect(deleteProvider(agentPaths({ WARD_AGENT_HOME: home }), "../victim")).toBe(false);
      expect(existsSync(victim)).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("a daemon port another user listens on (a look-alike daemon on a shared machine)", () => {
  const canImpersonate = process.getuid?.() === 0 && existsSync("/proc/net/tcp");

  /** As user 65534: answers /health exactly like Ward's daemon (naming `pid`) and records every other request. */
  async function impostor(port: number, pid = "process.pid") {
    const child = spawn(
      process.execPath,
      [
        "-e",
        `require("http").createServer((req, res) => {
           if (req.url === "/health") return res.end(JSON.stringify({ service: ${JSON.stringify(DAEMON_SERVICE)}, version: ${JSON.stringify(WARD_VERSION)}, pid: ${pid} }));
           console.log(req.method + " " + req.url); res.writeHead(201).end("{}");
         }).listen(${port}, "127.0.0.1", () => console.log("ready"));`,
      ],
      { uid: 65534, gid: 65534, stdio: ["ignore", "pipe", "inherit"] },
    );
    let seen = "";
    child.stdout?.on("data", (chunk) => (seen += chunk));
    await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
    return { requests: () => seen.replace("ready", "").trim(), stop: () => child.kill() };
  }
  const refusal = (port: number) =>
    `✗ agent_daemon_foreign: 127.0.0.1:${port} answers like Ward's daemon, but its socket belongs to user id 65534, not to you (0)`;

  it.skipIf(!canImpersonate)(
    "ward login --bridge refuses it with agent_daemon_foreign before opening a setup page on it",
    { timeout: 30_000 },
    async () => {
      const s = await agentSandbox();
      const fake = await impostor(s.port);
      try {
        const provider = {
          name: "echo",
          flows: ["api_key"],
          default_flow: "api_key",
          api_key: { env_var: "ECHO_KEY", header: "x-api-key" },
        };
        writeFileSync(join(s.home, "echo.json"), JSON.stringify(provider));
        expect((await runWard(["providers", "add", join(s.home, "echo.json")], { env: s.env })).code).toBe(0);
        writeFileSync(join(s.home, "daemon.token"), "token-of-an-old-daemon");
        const login = await runWard(["login", "echo", "--flow", "api_key", "--bridge", "--timeout", "5"], { env: s.env });
        expect(login.code).toBe(1);
        expect(login.stderr).toContain(refusal(s.port));
        expect(fake.requests()).toBe("");
      } finally {
        fake.stop();
        rmSync(s.home, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!canImpersonate)(
    "ward daemon stop refuses it rather than signal the PID it names (here one of ours)",
    { timeout: 30_000 },
    async () => {
      const s = await agentSandbox();
      const victim = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      const fake = await impostor(s.port, String(victim.pid));
      try {
        const stop = await runWard(["daemon", "stop"], { env: s.env });
        expect(stop.code).toBe(1);
        expect(stop.stderr).toContain(refusal(s.port));
        expect(victim.exitCode).toBeNull();
        expect(victim.signalCode).toBeNull();
        expect(fake.requests()).toBe("");
      } finally {
        fake.stop();
        victim.kill();
        rmSync(s.home, { recursive: true, force: true });
      }
    },
  );
});
describe("provider files cannot aim a credential at a variable or header that changes what a program does", () => {
  const base = { name: "acme", flows: ["api_key"], default_flow: "api_key" };
  const key = (api_key: Record<string, unknown>) => () => validateProvider({ ...base, api_key });

  it("env_var NODE_OPTIONS / LD_PRELOAD / HTTPS_PROXY is agent_provider_invalid naming the field", () => {
    for (const name of ["NODE_OPTIONS", "LD_PRELOAD", "HTTPS_PROXY", "PATH", "WARD_AGENT_MASTER_KEY"]) {
      expect(key({ env_var: name, header: "x-api-key" }), name).toThrow(`api_key.env_var is "${name}"`);
      expect(
        () => validateProvider({ ...base, flows: ["pkce"], default_flow: "pkce", issuer: "https://id.example", env_var: name }),
        name,
      ).toThrow(`env_var is "${name}"`);
    }
  });

  it("a Host, framing, hop-by-hop or proxy- header, or a prefix with a line break, is refused; x-api-key is fine", () => {
    for (const header of ["Host", "Content-Length", "Transfer-Encoding", "Proxy-Authorization", "x api key"])
      expect(key({ env_var: "ACME_KEY", header }), header).toThrow("api_key.header");
    expect(key({ env_var: "ACME_KEY", header: "Authorization", prefix: "Bearer\r\nX: 1" })).toThrow("api_key.prefix");
    expect(key({ env_var: "ACME_KEY", header: "x-api-key", prefix: "Token " })()).toMatchObject({ name: "acme" });
  });
});
