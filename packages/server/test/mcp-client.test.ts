import type { Server } from "node:http";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNotesMcp } from "../../sdk/examples/mcp-express.js";
import { type Json, useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { seedFlowFixtures, signInAndConsent } from "./support/flow.js";
import { type LoopbackHttps, startLoopbackHttps } from "./support/tls.js";
import { freePort } from "./support/ward.js";

// MCP authorization (2025-11-25) end to end: the official SDK client discovers Ward through the MCP
// server's Protected Resource Metadata, registers (DCR, or a client ID metadata document), runs the
// code flow with PKCE and `resource`, calls a tool with a Ward token, and refreshes it.

const CALLBACK = "http://127.0.0.1:43219/callback";

/** An in-memory OAuthClientProvider, as an MCP host application would implement it. */
class MemoryProvider implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  stored: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;

  constructor(readonly clientMetadataUrl?: string) {}

  get redirectUrl(): string {
    return CALLBACK;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "Ward MCP test client",
      redirect_uris: [CALLBACK],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.stored;
  }
  saveTokens(tokens: OAuthTokens) {
    this.stored = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

const t = useTestWard({
  registration: { policy: "open", client_id_metadata_documents: true },
  tokens: { refresh_without_offline_access: true },
});
let mcp: Server;
let mcpUrl: string;
let documents: LoopbackHttps;

beforeAll(async () => {
  await seedFlowFixtures(t);
  const port = await freePort();
  mcpUrl = `http://127.0.0.1:${port}/mcp`;
  const scopes = [
    { name: "notes:read", description: "Read your notes" },
    { name: "notes:write", description: "Change your notes" },
  ];
  expect((await t.admin("/admin/v1/resources", { body: { uri: mcpUrl, scopes } })).status).toBe(201);
  mcp = startNotesMcp({ issuer: t.publicUrl, resource: mcpUrl, port, allowInsecureLoopback: true });
  await new Promise((resolve) => mcp.once("listening", resolve));
  documents = await startLoopbackHttps((path) =>
    path === "/mcp-client.json"
      ? {
          body: JSON.stringify({
            client_id: `${documents.origin}/mcp-client.json`,
            client_name: "Ward MCP test client (CIMD)",
            redirect_uris: [CALLBACK],
            grant_types: ["authorization_code", "refresh_token"],
            response_types: ["code"],
            token_endpoint_auth_method: "none",
          }),
        }
      : undefined,
  );
});

afterAll(async () => {
  mcp.closeAllConnections();
  await new Promise((resolve) => mcp.close(resolve));
  await documents.close();
});

async function refreshCount(): Promise<number> {
  const response = await t.admin("/admin/v1/audit-events?type=token.refreshed");
  return ((await response.json()) as { audit_events: Json[] }).audit_events.length;
}

/** Connects the SDK client: first attempt redirects to Ward, the test signs in and consents, finishAuth redeems the code. */
async function connect(provider: MemoryProvider): Promise<Client> {
  const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await expect(new Client({ name: "ward-test", version: "1.0.0" }).connect(first)).rejects.toThrow(/Unauthorized/);
  const authorizationUrl = provider.authorizationUrl as URL;
  expect(authorizationUrl.origin).toBe(t.publicUrl);
  expect(authorizationUrl.searchParams.get("resource")).toBe(mcpUrl);
  expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
  const page = await signInAndConsent(new TestBrowser(t.publicUrl), authorizationUrl.toString());
  expect(page.left?.startsWith(CALLBACK), page.html.slice(0, 500)).toBe(true);
  await first.finishAuth(page.redirectParams.get("code") as string);
  const client = new Client({ name: "ward-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
  return client;
}

/** Calls notes.list, spoils the access token so the server answers 401, and calls again: the SDK must refresh at Ward. */
async function callAndRefresh(client: Client, provider: MemoryProvider): Promise<void> {
  const result = await client.callTool({ name: "notes.list" });
  expect((result.content as { text: string }[])[0]?.text).toMatch(/^notes of /);
  const before = await refreshCount();
  const spent = provider.stored?.refresh_token;
  expect(spent).toBeTruthy();
  provider.saveTokens({ ...(provider.stored as OAuthTokens), access_token: "no-longer-valid" });
  const again = await client.callTool({ name: "notes.list" });
  expect((again.content as { text: string }[])[0]?.text).toMatch(/^notes of /);
  expect(await refreshCount()).toBe(before + 1);
  expect(provider.stored?.refresh_token).not.toBe(spent);
  await client.close();
}

describe("MCP authorization with the official SDK client", () => {
  it("registers by DCR, authorizes with PKCE and resource, calls a tool, refreshes", async () => {
    const provider = new MemoryProvider();
    const client = await connect(provider);
    const information = provider.information as Json;
    expect(information.client_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const registered = (await (await t.admin(`/admin/v1/clients/${information.client_id}`)).json()) as Json;
    expect(registered).toMatchObject({ client_name: "Ward MCP test client", token_endpoint_auth_method: "none", skip_consent: false });
    await callAndRefresh(client, provider);
  });

  it("uses a client ID metadata document (dev: served on loopback), calls a tool, refreshes", async () => {
    const url = `${documents.origin}/mcp-client.json`;
    const provider = new MemoryProvider(url);
    const clientsBefore = ((await (await t.admin("/admin/v1/clients")).json()) as { clients: Json[] }).clients.length;
    const client = await connect(provider);
    expect(provider.information?.client_id).toBe(url);
    expect(documents.hits.get("/mcp-client.json")).toBeGreaterThanOrEqual(1);
    await callAndRefresh(client, provider);
    const clientsAfter = ((await (await t.admin("/admin/v1/clients")).json()) as { clients: Json[] }).clients.length;
    expect(clientsAfter).toBe(clientsBefore);
  });
});
