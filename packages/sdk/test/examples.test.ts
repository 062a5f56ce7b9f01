import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "../../server/test/support/admin.js";
import { cliAppTokens, seedFlowFixtures } from "../../server/test/support/flow.js";
import { notesApp } from "../examples/hono.js";
import { startNotesApi } from "../examples/node-http.js";

const NOTES = "https://notes.example.test/api";
const t = useTestWard();
let token: string;

beforeAll(async () => {
  await seedFlowFixtures(t);
  const scopes = [
    { name: "notes:read", description: "Read your notes" },
    { name: "notes:write", description: "Change your notes" },
  ];
  expect((await t.admin("/admin/v1/resources", { body: { uri: NOTES, scopes } })).status).toBe(201);
  token = (await cliAppTokens(t, { scope: "notes:read", resource: NOTES })).access_token;
});

describe("docs/sdk.md quickstarts run as written", () => {
  const doc = readFileSync(new URL("../../../docs/sdk.md", import.meta.url), "utf8");

  it("shows the example files verbatim", () => {
    for (const file of ["node-http.ts", "hono.ts", "mcp-express.ts"]) {
      expect(doc, `docs/sdk.md must contain examples/${file} as it is`).toContain(
        readFileSync(new URL(`../examples/${file}`, import.meta.url), "utf8").trim(),
      );
    }
  });

  describe("node:http", () => {
    let server: Server;
    beforeAll(async () => {
      server = startNotesApi({ issuer: t.publicUrl, resource: NOTES, port: 0, allowInsecureLoopback: true });
      await new Promise((resolve) => server.once("listening", resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it("401 without a token, 200 with a Ward token, 403 for a write with a read token", async () => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const refused = await fetch(`${base}/notes`);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { code: string }).code).toBe("bearer_token_missing");
      const ok = await fetch(`${base}/notes`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { client: string }).client).toBe("cli-app");
      const write = await fetch(`${base}/notes`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
      expect(write.status).toBe(403);
      expect(write.headers.get("www-authenticate")).toContain('scope="notes:write"');
    });
  });

  it("Hono: 401 without a token, 200 with one, metadata served", async () => {
    const app = notesApp({ issuer: t.publicUrl, resource: NOTES, allowInsecureLoopback: true });
    const refused = await app.request("/notes/list");
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe("bearer_token_missing");
    expect((await app.request("/notes/list", { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(((await (await app.request("/.well-known/oauth-protected-resource/api")).json()) as { resource: string }).resource).toBe(NOTES);
  });
});
