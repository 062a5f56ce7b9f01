import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { authorizeUrl, RESOURCE, seedFlowFixtures, USER, verifierAndChallenge } from "./support/flow.js";
import { type LoopbackHttps, startLoopbackHttps } from "./support/tls.js";
import type { TestWard } from "./support/ward.js";

const REDIRECT = "http://127.0.0.1:43210/callback";

/** Documents by path; each test names its own so the cache of one never answers for another. */
const documents = new Map<string, { status?: number; headers?: Record<string, string>; body: string }>();
let server: LoopbackHttps;
const resolved: string[] = [];

beforeAll(async () => {
  server = await startLoopbackHttps((path) => documents.get(path));
});
afterAll(() => server.close());

function serve(path: string, document: unknown, headers: Record<string, string> = {}, status = 200): string {
  documents.set(path, { status, headers, body: typeof document === "string" ? document : JSON.stringify(document) });
  return `${server.origin}${path}`;
}

function publicClientDocument(url: string, extra: Record<string, unknown> = {}): Json {
  return {
    client_id: url,
    client_name: "Notes MCP client",
    redirect_uris: [REDIRECT],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "none",
    ...extra,
  };
}

/** A token request naming `clientId` (the client is resolved before the code is looked at). */
function tokenRequest(t: TestWard, clientId: string): Promise<Response> {
  return fetch(`${t.publicUrl}/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: clientId,
      code: "x",
      redirect_uri: REDIRECT,
      code_verifier: "v".repeat(43),
    }),
  });
}

async function clientCount(t: TestWard): Promise<number> {
  return ((await (await t.admin("/admin/v1/clients")).json()) as { clients: Json[] }).clients.length;
}

/** The client_id is refused with exactly `code` (401 invalid_client), and no client was stored. */
async function expectRefused(t: TestWard, clientId: string, code: string): Promise<Json> {
  const before = await clientCount(t);
  const response = await tokenRequest(t, clientId);
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).toBe(401);
  expect(body.code).toBe(code);
  expect(body.error).toBe("invalid_client");
  expect(await clientCount(t)).toBe(before);
  return body;
}

describe("client ID metadata documents on (dev: the issuer is loopback)", () => {
  const t = useTestWard(
    { registration: { client_id_metadata_documents: true } },
    {
      resolveHost: async (hostname) => {
        resolved.push(hostname);
        if (hostname === "cimd.internal.test") return [{ address: "10.1.2.3", family: 4 }];
        throw new Error(`test resolver: ${hostname} is not a test host`);
      },
    },
  );
  beforeAll(() => seedFlowFixtures(t));

  it("advertises client_id_metadata_document_supported", async () => {
    const metadata = (await (await fetch(`${t.publicUrl}/.well-known/oauth-authorization-server`)).json()) as Json;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
  });

  it("runs the code flow for a URL client_id: consent says it is not registered, the code is redeemed, nothing is stored", async () => {
    const url = serve("/flow/client.json", publicClientDocument(`${server.origin}/flow/client.json`));
    const before = await clientCount(t);
    const { verifier, challenge } = verifierAndChallenge();
    const browser = new TestBrowser(t.publicUrl);
    let page = await browser.navigate(
      authorizeUrl(t, {
        client_id: url,
        redirect_uri: REDIRECT,
        response_type: "code",
        scope: "notes:read",
        resource: RESOURCE,
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
    );
    page = await browser.submit(page, { email: USER.email, password: USER.password }, "Sign in");
    expect(page.title).toBe("Allow Notes MCP client?");
    expect(page.html).toContain("not registered with this server");
    expect(page.html).toContain("127.0.0.1:43210");
    page = await browser.submit(page, {}, "Allow");
    const response = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: url,
        code: page.redirectParams.get("code") as string,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
    });
    const tokens = (await response.json()) as Json;
    expect(response.status, JSON.stringify(tokens)).toBe(200);
    expect(JSON.parse(Buffer.from((tokens.access_token as string).split(".")[1] as string, "base64url").toString()).client_id).toBe(url);
    expect(await clientCount(t)).toBe(before);
  });

  it("refuses a document whose client_id differs from its URL, naming both", async () => {
    const url = `${server.origin}/mismatch/client.json`;
    serve("/mismatch/client.json", publicClientDocument(`${url}/`));
    const body = await expectRefused(t, url, "client_metadata_document_client_id_mismatch");
    expect(body.error_description).toContain(url);
    expect(body.error_description).toContain(`"${url}/"`);
  });

  it("refuses a document over 5 KiB", async () => {
    const url = `${server.origin}/large/client.json`;
    serve("/large/client.json", publicClientDocument(url, { client_name: "x".repeat(6000) }));
    await expectRefused(t, url, "client_metadata_document_too_large");
  });

  it("refuses a client_id that is not https", async () => {
    const url = serve("/plain/client.json", {}).replace("https://", "http://");
    await expectRefused(t, url, "client_metadata_document_not_https");
    expect(server.hits.get("/plain/client.json")).toBeUndefined();
  });

  it("does not follow a redirect", async () => {
    const url = serve("/moved/client.json", "", { location: `${server.origin}/flow/client.json` }, 302);
    const body = await expectRefused(t, url, "client_metadata_document_redirected");
    expect(body.error_description).toContain("302");
  });

  it("refuses a private address before connecting (injected resolver, no packet leaves loopback)", async () => {
    const body = await expectRefused(t, "https://cimd.internal.test/client.json", "client_metadata_document_address_refused");
    expect(body.error_description).toContain("10.1.2.3");
    expect(resolved).toContain("cimd.internal.test");
  });

  it("refuses a document that is not there (HTTP 404), naming the status", async () => {
    const body = await expectRefused(t, `${server.origin}/missing/client.json`, "client_metadata_document_fetch_failed");
    expect(body.error_description).toContain("HTTP 404");
  });

  it("refuses private_key_jwt without jwks or jwks_uri", async () => {
    const url = `${server.origin}/keyless/client.json`;
    serve("/keyless/client.json", publicClientDocument(url, { token_endpoint_auth_method: "private_key_jwt" }));
    expect((await expectRefused(t, url, "client_metadata_document_invalid")).error_description).toContain("jwks or jwks_uri");
  });

  it("refuses a body that is not a JSON object", async () => {
    await expectRefused(t, serve("/bad-json/client.json", "{ not json"), "client_metadata_document_not_json");
  });

  it("refuses client_secret_basic (a public document cannot hold a secret) and a client_secret", async () => {
    const url = `${server.origin}/secret/client.json`;
    serve("/secret/client.json", publicClientDocument(url, { token_endpoint_auth_method: "client_secret_basic" }));
    const body = await expectRefused(t, url, "client_metadata_document_auth_method_not_allowed");
    expect(body.error_description).toContain('"client_secret_basic"');
    const withSecret = `${server.origin}/secret2/client.json`;
    serve("/secret2/client.json", publicClientDocument(withSecret, { client_secret: "s3cret" }));
    expect((await expectRefused(t, withSecret, "client_metadata_document_invalid")).error_description).toContain("client_secret");
  });

  it("refuses a document without redirect_uris or with other grant types", async () => {
    const noRedirects = `${server.origin}/no-redirects/client.json`;
    serve("/no-redirects/client.json", publicClientDocument(noRedirects, { redirect_uris: [] }));
    expect((await expectRefused(t, noRedirects, "client_metadata_document_invalid")).error_description).toContain("redirect_uris");
    const grants = `${server.origin}/grants/client.json`;
    serve("/grants/client.json", publicClientDocument(grants, { grant_types: ["client_credentials"] }));
    expect((await expectRefused(t, grants, "client_metadata_document_invalid")).error_description).toContain("client_credentials");
  });

  it("caches a document for its max-age, and fetches a no-store one every time", async () => {
    const cached = `${server.origin}/cached/client.json`;
    serve("/cached/client.json", publicClientDocument(cached), { "cache-control": "max-age=600" });
    const uncached = `${server.origin}/uncached/client.json`;
    serve("/uncached/client.json", publicClientDocument(uncached), { "cache-control": "no-store" });
    for (let i = 0; i < 2; i++) {
      // The client is known (the code is not): invalid_grant, not invalid_client.
      expect(((await (await tokenRequest(t, cached)).json()) as Json).error).toBe("invalid_grant");
      expect(((await (await tokenRequest(t, uncached)).json()) as Json).error).toBe("invalid_grant");
    }
    expect(server.hits.get("/cached/client.json")).toBe(1);
    expect(server.hits.get("/uncached/client.json")).toBe(2);
  });
});

describe("client ID metadata documents off (the ward server default)", () => {
  const t = useTestWard();

  it("does not advertise them, and a URL client_id is just an unknown client (nothing fetched)", async () => {
    const metadata = (await (await fetch(`${t.publicUrl}/.well-known/oauth-authorization-server`)).json()) as Json;
    expect(metadata.client_id_metadata_document_supported).toBeUndefined();
    const url = serve("/off/client.json", publicClientDocument(`${server.origin}/off/client.json`));
    await expectRefused(t, url, "client_unknown");
    expect(server.hits.get("/off/client.json")).toBeUndefined();
  });
});
