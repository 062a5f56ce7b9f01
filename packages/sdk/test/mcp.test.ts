import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "../../server/test/support/admin.js";
import { cliAppTokens, seedFlowFixtures } from "../../server/test/support/flow.js";
import { startNotesMcp } from "../examples/mcp-express.js";
import type { WardAuthInfo } from "../src/adapters/express.js";
import { createVerifier } from "../src/index.js";

/** The MCP server's resource identifier, registered at the test Ward. */
const MCP = "https://mcp.example.test/mcp";
const t = useTestWard();
let server: Server;
let base: string;

beforeAll(async () => {
  await seedFlowFixtures(t);
  const scopes = [
    { name: "notes:read", description: "Read your notes" },
    { name: "notes:write", description: "Change your notes" },
  ];
  expect((await t.admin("/admin/v1/resources", { body: { uri: MCP, scopes } })).status).toBe(201);
  server = startNotesMcp({ issuer: t.publicUrl, resource: MCP, port: 0, allowInsecureLoopback: true });
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function connect(token: string | undefined): Promise<Client> {
  const client = new Client({ name: "test-agent", version: "1.0.0" });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }));
  return client;
}

const initialize = (token?: string) =>
  fetch(`${base}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
    }),
  });

describe("an MCP server (official TypeScript SDK) protected by @ward/sdk (docs/sdk.md example, run as written)", () => {
  it("rejects a call without a token: 401 with resource_metadata, and serves that metadata", async () => {
    const response = await initialize();
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"',
    );
    const metadata = (await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: MCP, authorization_servers: [t.publicUrl] });
    await expect(connect(undefined)).rejects.toThrow();
  });

  it("accepts a Ward token for its resource: the SDK client lists and calls tools, the tool sees the user", async () => {
    const { access_token: token } = await cliAppTokens(t, { scope: "notes:read", resource: MCP });
    const client = await connect(token);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name).sort()).toEqual(["notes.list", "notes.write"]);
      const result = await client.callTool({ name: "notes.list", arguments: {} });
      expect((result.content as { text: string }[])[0]?.text).toMatch(/^notes of usr_/);
    } finally {
      await client.close();
    }
  });

  it("rejects a token issued for another resource, naming both audiences", async () => {
    const { access_token: token } = await cliAppTokens(t, { scope: "notes:read", resource: "https://api.example.test/mcp" });
    const response = await initialize(token);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { code: string; error_description: string };
    expect(body.code).toBe("token_audience_mismatch");
    expect(body.error_description).toBe(`The token's aud is "https://api.example.test/mcp", but this resource is ${MCP}.`);
  });

  it("answers 403 insufficient_scope with the scope to ask for when a tool needs more (step-up)", async () => {
    const { access_token: token } = await cliAppTokens(t, { scope: "notes:read", resource: MCP });
    const response = await fetch(`${base}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "notes.write", arguments: {} } }),
    });
    expect(response.status).toBe(403);
    const challenge = response.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="notes:write"');
    expect(challenge).toContain('resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"');
    const write = await cliAppTokens(t, { scope: "notes:read notes:write", resource: MCP });
    const client = await connect(write.access_token);
    try {
      const result = await client.callTool({ name: "notes.write", arguments: {} });
      expect((result.content as { text: string }[])[0]?.text).toBe("written");
    } finally {
      await client.close();
    }
  });
});

describe("mcpTokenVerifier: for the MCP SDK's own requireBearerAuth", () => {
  it("passes Ward tokens and turns catalog errors into the SDK's errors, keeping the code", async () => {
    const { requireBearerAuth } = await import("@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js");
    const { mcpTokenVerifier } = await import("../src/adapters/mcp.js");
    const verifier = createVerifier({ issuer: t.publicUrl, resource: MCP, allowInsecureLoopback: true });
    const app = express();
    app.get("/whoami", requireBearerAuth({ verifier: mcpTokenVerifier(verifier) }), (req, res) => {
      res.json({ client: (req as unknown as { auth: WardAuthInfo }).auth.clientId });
    });
    const listener = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => listener.once("listening", resolve));
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/whoami`;
    try {
      const good = await cliAppTokens(t, { scope: "notes:read", resource: MCP });
      expect(await (await fetch(url, { headers: { authorization: `Bearer ${good.access_token}` } })).json()).toEqual({ client: "cli-app" });
      const other = await cliAppTokens(t, { scope: "notes:read", resource: "https://api.example.test/mcp" });
      const refused = await fetch(url, { headers: { authorization: `Bearer ${other.access_token}` } });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error_description: string }).error_description).toMatch(/^token_audience_mismatch: /);
    } finally {
      listener.closeAllConnections();
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});
