import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNotesMcp } from "../../sdk/examples/mcp-express.js";
import { chromiumUnavailable } from "../../server/test/support/chromium.js";
import type { TestWard } from "../../server/test/support/ward.js";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { freePort } from "./ports.js";
import { runWard } from "./run-ward.js";
import { browserEnv, wardForAgent } from "./support/agent-ward.js";

const skip = chromiumUnavailable();
let t: TestWard;
let s: AgentSandbox;
let mcp: Server;
let resource: string;

beforeAll(async () => {
  if (skip) return;
  t = await wardForAgent();
  const port = await freePort();
  resource = `http://127.0.0.1:${port}/mcp`;
  const created = await t.admin("/admin/v1/resources", {
    body: { uri: resource, scopes: [{ name: "notes:read", description: "Read your notes" }] },
  });
  expect(created.status).toBe(201);
  mcp = startNotesMcp({ issuer: t.publicUrl, resource, port, allowInsecureLoopback: true });
  s = await agentSandbox();
  s.env = { ...s.env, ...browserEnv(s.home) };
}, 60_000);
afterAll(async () => {
  mcp?.closeAllConnections();
  await new Promise((resolve) => mcp?.close(resolve));
  await s?.cleanup();
  await t?.stop();
});

/** A child script that calls the MCP server's initialize with the token `ward run` put in its environment. */
const CALL_MCP = (url: string) => `
const name = Object.keys(process.env).find((k) => k.startsWith("MCP_") && k.endsWith("_ACCESS_TOKEN"));
const headers = { accept: "application/json, text/event-stream", "content-type": "application/json" };
if (name) headers.authorization = "Bearer " + process.env[name];
fetch(${JSON.stringify(url)}, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }) })
  .then(async (r) => { console.log(name ?? "(no token variable)", r.status, (await r.text()).includes('"name":"notes"')); process.exit(r.status === 200 ? 0 : 7); });
`;

describe.skipIf(skip !== undefined)(
  "ward login <MCP server URL>: RFC 9728 PRM → RFC 8414 → PKCE with resource",
  { timeout: 120_000 },
  () => {
    it("an MCP server protected by @ward/sdk refuses a call without a token", async () => {
      const result = await runWard(["run", "--", process.execPath, "-e", CALL_MCP(resource)], { env: s.env });
      expect(result.code).toBe(7);
      expect(result.stdout).toContain("(no token variable) 401 false");
    });

    it("logs in from the MCP URL alone, and `ward run` injects the token so the child reaches the MCP server", async () => {
      const login = await runWard(["login", resource, "--client-id", "agent-cli", "--timeout", "60"], { env: s.env, timeoutMs: 90_000 });
      expect(login.code, login.stderr).toBe(0);
      const name = `mcp-127-0-0-1-${new URL(resource).port}-mcp`;
      expect(login.stdout).toContain(`✓ Logged in to ${name} (default), scopes: notes:read`);
      expect(login.stderr).toContain(`resource=${encodeURIComponent(resource)}`);

      const inspect = JSON.parse((await runWard(["--json", "inspect", name], { env: s.env })).stdout);
      expect(inspect).toMatchObject({ mcp_url: resource, issuer: t.publicUrl, resource, client_id: "agent-cli", connections: ["default"] });

      const run = await runWard(["run", "--", process.execPath, "-e", CALL_MCP(resource)], { env: s.env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`MCP_127_0_0_1_${new URL(resource).port}_MCP_ACCESS_TOKEN 200 true`);
      expect((await runWard(["get", resource, "--field", "resource"], { env: s.env })).stdout.trim()).toBe(resource);
    });
  },
);
