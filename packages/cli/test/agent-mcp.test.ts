import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNotesMcp } from "../../sdk/examples/mcp-express.js";
import { chromiumUnavailable } from "../../server/test/support/chromium.js";
import { type LoopbackHttps, startLoopbackHttps } from "../../server/test/support/tls.js";
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
let documents: LoopbackHttps | undefined;
const sandboxes: AgentSandbox[] = [];

/** A fresh agent home (no stored provider or client) driving the browser like the shared one. */
async function freshSandbox(): Promise<AgentSandbox> {
  const fresh = await agentSandbox();
  fresh.env = { ...fresh.env, ...browserEnv(fresh.home) };
  sandboxes.push(fresh);
  return fresh;
}

beforeAll(async () => {
  if (skip) return;
  t = await wardForAgent({ registration: { policy: "open", client_id_metadata_documents: true } });
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
  await documents?.close();
  await Promise.all(sandboxes.map((sandbox) => sandbox.cleanup()));
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

    it("with nothing but the URL: registers by DCR (the server's registration_endpoint) and completes", async () => {
      const fresh = await freshSandbox();
      const login = await runWard(["login", resource, "--timeout", "60"], { env: fresh.env, timeoutMs: 90_000 });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stderr).toMatch(new RegExp(`Registered client [\\w-]+ at ${t.publicUrl}/register`));
      expect(login.stdout).toContain("scopes: notes:read");
      const run = await runWard(["run", "--", process.execPath, "-e", CALL_MCP(resource)], { env: fresh.env });
      expect(run.code, run.stderr).toBe(0);
    });

    it("with a client metadata document URL: the URL is the client_id, nothing is registered, and it completes", async () => {
      const fresh = await freshSandbox();
      let documentUrl = "";
      const printed: Record<string, string> = {};
      documents = await startLoopbackHttps((path) => (path === "/ward-agent.json" ? { body: printed.document ?? "" } : undefined));
      documentUrl = `${documents.origin}/ward-agent.json`;
      const document = await runWard(["client-metadata", documentUrl], { env: fresh.env });
      expect(document.code, document.stderr).toBe(0);
      printed.document = document.stdout;
      expect(JSON.parse(document.stdout)).toMatchObject({
        client_id: documentUrl,
        redirect_uris: [`http://127.0.0.1:${fresh.port}/auth/callback/oauth`],
        token_endpoint_auth_method: "none",
      });
      const clientsBefore = await t.admin("/admin/v1/clients").then((r) => r.json());
      const env = { ...fresh.env, WARD_AGENT_CLIENT_METADATA_URL: documentUrl };
      const login = await runWard(["login", resource, "--timeout", "60"], { env, timeoutMs: 90_000 });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stderr).toContain(
        `Client: the metadata document ${documentUrl} (the authorization server fetches it; nothing is registered)`,
      );
      expect(login.stderr).not.toContain("Registered client");
      expect(documents.hits.get("/ward-agent.json")).toBeGreaterThan(0);
      const name = `mcp-127-0-0-1-${new URL(resource).port}-mcp`;
      expect(JSON.parse((await runWard(["--json", "inspect", name], { env })).stdout)).toMatchObject({ client_id: documentUrl });
      expect(await t.admin("/admin/v1/clients").then((r) => r.json())).toEqual(clientsBefore);
      expect((await runWard(["get", resource, "--field", "scopes"], { env })).stdout.trim()).toBe("notes:read");
    });

    it("a client metadata URL that cannot be a client_id: agent_client_metadata_url_invalid (exit 2) before anything is saved", async () => {
      const fresh = await freshSandbox();
      for (const [url, reason] of [
        ["http://127.0.0.1/ward.json", "not https"],
        ["https://example.com/", "it has no path"],
        ["https://example.com/a/../ward.json#x", "it has a fragment"],
      ]) {
        const login = await runWard(["login", resource, "--client-metadata-url", url as string], { env: fresh.env });
        expect(login.code).toBe(2);
        expect(login.stderr).toContain(
          `✗ agent_client_metadata_url_invalid: The client metadata document URL (--client-metadata-url) is ${url}: ${reason}.`,
        );
      }
      expect(JSON.parse((await runWard(["--json", "list"], { env: fresh.env })).stdout)).not.toContainEqual(
        expect.objectContaining({ provider: expect.stringMatching(/^mcp-/) }),
      );
    });
  },
);
