import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { freePort } from "./ports.js";
import { runWard, startWard } from "./run-ward.js";
import { echoApi, trustTestApi } from "./support/echo-api.js";

const API_KEY = "sk-test-proxy-0123456789abcdef";

let api: Awaited<ReturnType<typeof echoApi>>;
let other: Awaited<ReturnType<typeof echoApi>>;
const sandboxes: AgentSandbox[] = [];
beforeAll(async () => {
  api = await echoApi();
  other = await echoApi();
});
afterAll(async () => {
  for (const s of [api.server, other.server]) s.closeAllConnections();
  await Promise.all([api, other].map((s) => new Promise((resolve) => s.server.close(resolve))));
});
afterEach(async () => {
  api.seen.length = 0;
  other.seen.length = 0;
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});

/** A sandbox where ward trusts the test API's certificate and holds an API key for provider `echo`. */
async function withApiKey(apiHosts?: string[], extraEnv: Record<string, string> = {}) {
  const s = await agentSandbox(extraEnv);
  sandboxes.push(s);
  s.env = { ...s.env, ...trustTestApi(s.home) };
  const provider = {
    name: "echo",
    flows: ["api_key"],
    default_flow: "api_key",
    api_key: { env_var: "ECHO_API_KEY", header: "Authorization", prefix: "Bearer " },
    ...(apiHosts ? { api_hosts: apiHosts } : {}),
  };
  writeFileSync(join(s.home, "echo.json"), JSON.stringify(provider));
  expect((await runWard(["providers", "add", join(s.home, "echo.json")], { env: s.env })).code).toBe(0);
  const login = await runWard(["login", "echo", "--flow", "api_key"], { env: s.env, input: `${API_KEY}\n` });
  expect(login.code, login.stderr).toBe(0);
  return s;
}

/** The child: fetches each URL with Node's built-in fetch, then prints the answers and its whole environment. */
const childScript = (urls: string[]) =>
  `Promise.all(${JSON.stringify(urls)}.map((u) => fetch(u).then((r) => r.status))).then((statuses) => console.log(JSON.stringify({ statuses, env: process.env })), (e) => { console.error(e.cause ?? e); process.exit(9); })`;

describe("ward run --proxy: a header-injecting HTTPS proxy keeps the credential out of the child", { timeout: 60_000 }, () => {
  it("node -e fetch reaches the API with Authorization: Bearer <key> added; another host gets nothing; the child's environment holds no key", async () => {
    const s = await withApiKey([api.host]);
    const run = await runWard(
      ["run", "--proxy", "--", process.execPath, "-e", childScript([`https://${api.host}/v1/me`, `https://${other.host}/elsewhere`])],
      { env: s.env, timeoutMs: 30_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(api.seen).toEqual([`Bearer ${API_KEY}`]);
    expect(other.seen).toEqual([undefined]);
    const child = JSON.parse(run.stdout) as { statuses: number[]; env: Record<string, string> };
    expect(child.statuses).toEqual([200, 200]);
    expect(JSON.stringify(child.env)).not.toContain(API_KEY);
    expect(child.env.ECHO_API_KEY).toBeUndefined();
    expect(child.env.HTTPS_PROXY).toMatch(/^http:\/\/ward:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    for (const name of ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
      expect(child.env[name]).toMatch(/ward-run-proxy-.*\/ca-bundle\.pem$/);
    expect(child.env.NODE_OPTIONS).toMatch(/--import ".*\/fetch-preload\.js"/);
    // Each injection is audited (per host, with the count), never the key; the other host is not.
    const audit = readFileSync(join(s.home, "audit.log"), "utf8");
    expect(audit).toContain(`"event":"proxy_injection","provider":"echo","detail":"1 request(s) to ${api.host}"`);
    expect(audit).not.toContain(other.host);
    expect(audit).not.toContain(API_KEY);
  });

  it("WARD_AGENT_MASTER_KEY given to ward reaches no child, with or without --proxy", async () => {
    const masterKey = "3".repeat(64);
    const s = await withApiKey([api.host], { WARD_AGENT_MASTER_KEY: masterKey });
    const printEnv = "console.log(JSON.stringify({ env: process.env }))";
    for (const args of [["run", "--proxy"], ["run"]]) {
      const run = await runWard([...args, "--", process.execPath, "-e", printEnv], { env: s.env, timeoutMs: 30_000 });
      expect(run.code, run.stderr).toBe(0);
      const env = (JSON.parse(run.stdout) as { env: Record<string, string> }).env;
      expect(env.WARD_AGENT_MASTER_KEY, args.join(" ")).toBeUndefined();
      expect(JSON.stringify(env), args.join(" ")).not.toContain(masterKey);
    }
  });

  it.skipIf(!existsSync("/usr/bin/curl"))(
    "curl honours HTTPS_PROXY and CURL_CA_BUNDLE: the API sees the key, curl never had it",
    async () => {
      const s = await withApiKey([api.host]);
      const run = await runWard(["run", "--proxy", "--", "/usr/bin/curl", "-sS", "--fail", `https://${api.host}/v1/curl`], {
        env: s.env,
        timeoutMs: 30_000,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ path: "/v1/curl" });
      expect(api.seen).toEqual([`Bearer ${API_KEY}`]);
    },
  );

  it("--api-host names the host for one provider; the CA bundle is removed when the child exits", async () => {
    const s = await withApiKey();
    const run = await runWard(
      [
        "run",
        "--proxy",
        "--provider",
        "echo",
        "--api-host",
        api.host,
        "--",
        process.execPath,
        "-e",
        childScript([`https://${api.host}/v1/me`]),
      ],
      { env: s.env, timeoutMs: 30_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(api.seen).toEqual([`Bearer ${API_KEY}`]);
    const bundle = (JSON.parse(run.stdout) as { env: Record<string, string> }).env.CURL_CA_BUNDLE as string;
    expect(() => writeFileSync(bundle, "x", { flag: "r+" })).toThrow(/ENOENT/);
  });

  it("SIGTERM to ward reaches the command; ward waits for it, then deletes the CA bundle (exit 143)", async () => {
    const s = await withApiKey([api.host]);
    const waiting = `console.log("BUNDLE=" + process.env.CURL_CA_BUNDLE + " PID=" + process.pid); process.on("SIGTERM", () => { console.log("child got SIGTERM"); process.exit(143); }); setInterval(() => {}, 1000);`;
    const run = await startWard(["run", "--proxy", "--", process.execPath, "-e", waiting], "BUNDLE=", { env: s.env });
    const [, bundle, pid] = /BUNDLE=(\S+) PID=(\d+)/.exec(run.output()) ?? [];
    expect(existsSync(bundle as string)).toBe(true);
    try {
      expect(await run.stop()).toBe(143);
      expect(run.output()).toContain("child got SIGTERM");
      expect(existsSync(bundle as string)).toBe(false);
    } finally {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {}
    }
  });

  it("a provider without api_hosts and no --api-host: agent_proxy_api_hosts_invalid (exit 2), the command never runs", async () => {
    const s = await withApiKey();
    const marker = join(s.home, "ran");
    const run = await runWard(
      ["run", "--proxy", "--", process.execPath, "-e", `require("fs").writeFileSync(${JSON.stringify(marker)}, "")`],
      {
        env: s.env,
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("✗ agent_proxy_api_hosts_invalid: `ward run --proxy` for provider echo: the API hosts are none");
    expect(run.stderr).toContain("Fix: Pass the hosts with `ward run --proxy --provider <name> --api-host <host[:port]> -- <cmd>`");
    expect(() => writeFileSync(marker, "x", { flag: "r+" })).toThrow(/ENOENT/);
    expect(api.seen).toEqual([]);
  });

  it("an API host that does not answer: the child gets 503 agent_proxy_failed naming the request, the key in no answer", async () => {
    const closed = await freePort();
    const s = await withApiKey([`127.0.0.1:${closed}`]);
    const fetchBody = `fetch("https://127.0.0.1:${closed}/v1/me").then(async (r) => console.log(r.status, await r.text()))`;
    const run = await runWard(["run", "--proxy", "--", process.execPath, "-e", fetchBody], { env: s.env, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `503 agent_proxy_failed: The proxy could not forward GET https://127.0.0.1:${closed}/v1/me: connect ECONNREFUSED`,
    );
    expect(run.stdout).toContain("Fix: ");
    expect(`${run.stdout}${run.stderr}`).not.toContain(API_KEY);
  });

  it("inside a tunnel to an API host, a Host header naming another host or an absolute-form target is refused (403) and gets no key", async () => {
    const s = await withApiKey([api.host]);
    // Raw CONNECT + TLS (trusting the run's CA bundle), then one HTTP/1.1 request per tunnel: only the first is well-formed.
    const probe = `
const net = require("net"), tls = require("tls"), fs = require("fs");
const proxy = new URL(process.env.HTTPS_PROXY);
const auth = Buffer.from(decodeURIComponent(proxy.username) + ":" + decodeURIComponent(proxy.password)).toString("base64");
const [host, port] = ${JSON.stringify(api.host)}.split(":");
const send = (request) => new Promise((resolve) => {
  const raw = net.connect(Number(proxy.port), proxy.hostname, () => raw.write("CONNECT " + host + ":" + port + " HTTP/1.1\\r\\nHost: " + host + ":" + port + "\\r\\nProxy-Authorization: Basic " + auth + "\\r\\n\\r\\n"));
  raw.once("data", () => {
    const secure = tls.connect({ socket: raw, host, ca: fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS) }, () => secure.write(request));
    let text = "";
    secure.on("data", (d) => (text += d));
    secure.on("end", () => resolve(text.split("\\r\\n")[0] + " " + (text.match(/agent_[a-z_]+/) ?? [""])[0]));
  });
});
(async () => {
  const lines = [];
  lines.push(await send("GET /v1/ok HTTP/1.1\\r\\nHost: " + host + ":" + port + "\\r\\nConnection: close\\r\\n\\r\\n"));
  lines.push(await send("GET /v1/fronted HTTP/1.1\\r\\nHost: attacker.example\\r\\nConnection: close\\r\\n\\r\\n"));
  lines.push(await send("GET https://attacker.example/v1/absolute HTTP/1.1\\r\\nHost: " + host + ":" + port + "\\r\\nConnection: close\\r\\n\\r\\n"));
  console.log(JSON.stringify(lines));
})();`;
    const run = await runWard(["run", "--proxy", "--", process.execPath, "-e", probe], { env: s.env, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      "HTTP/1.1 200 OK ",
      "HTTP/1.1 403 Forbidden agent_proxy_request_refused",
      "HTTP/1.1 403 Forbidden agent_proxy_request_refused",
    ]);
    expect(api.seen).toEqual([`Bearer ${API_KEY}`]);
  });

  it("the proxy refuses a CONNECT without the run's proxy credentials (407): other local programs cannot borrow the key", async () => {
    const s = await withApiKey([api.host]);
    const probe = `const u = new URL(process.env.HTTPS_PROXY); const s = require("net").connect(Number(u.port), u.hostname, () => s.write("CONNECT ${api.host} HTTP/1.1\\r\\nHost: ${api.host}\\r\\n\\r\\n")); s.on("data", (d) => { console.log(String(d).split("\\r\\n")[0]); s.destroy(); });`;
    const run = await runWard(["run", "--proxy", "--", process.execPath, "-e", probe], { env: s.env, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe("HTTP/1.1 407 Proxy Authentication Required");
    expect(api.seen).toEqual([]);
  });
});
