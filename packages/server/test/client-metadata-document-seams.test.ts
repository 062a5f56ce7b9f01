import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { DEVICE_GRANT } from "./support/device.js";
import { RESOURCE, seedFlowFixtures, signInAndConsent, verifierAndChallenge } from "./support/flow.js";
import { counts } from "./support/malformed.js";
import { type LoopbackHttps, startLoopbackHttps } from "./support/tls.js";

/**
 * A client ID metadata document client (URL client_id, resolved on use, never stored) at the
 * endpoints other than /authorize and /token's code grant: PAR, the device flow, client_credentials,
 * revocation and introspection. It is a public client limited to authorization_code and
 * refresh_token, so everything else is refused with the catalog code, and nothing is stored.
 */
const REDIRECT = "http://127.0.0.1:43211/callback";
let server: LoopbackHttps;
let clientId = "";

beforeAll(async () => {
  server = await startLoopbackHttps((path) =>
    path === "/mcp-client.json"
      ? {
          body: JSON.stringify({
            client_id: `${server.origin}/mcp-client.json`,
            client_name: "Seams MCP client",
            redirect_uris: [REDIRECT],
            grant_types: ["authorization_code", "refresh_token"],
            token_endpoint_auth_method: "none",
          }),
        }
      : undefined,
  );
  clientId = `${server.origin}/mcp-client.json`;
});
afterAll(() => server.close());

const t = useTestWard({
  registration: { client_id_metadata_documents: true },
  grants: { device_code: true, client_credentials: true },
});
const TABLES = ["clients", "device_codes", "pushed_requests", "access_tokens", "token_families", "consents"] as const;

function postForm(path: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${t.publicUrl}${path}`, { method: "POST", body: new URLSearchParams({ client_id: clientId, ...form }) });
}

async function expectRefused(path: string, form: Record<string, string>, status: number, code: string): Promise<void> {
  const before = await counts(t, TABLES);
  const response = await postForm(path, form);
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.code).toBe(code);
  expect(await counts(t, TABLES)).toEqual(before);
}

describe("client ID metadata document clients beyond the code flow", () => {
  beforeAll(() => seedFlowFixtures(t));

  it("/device_authorization refuses it: the device grant is not among a document's grants", async () => {
    await expectRefused("/device_authorization", { scope: "notes:read" }, 400, "grant_type_not_allowed_for_client");
  });

  it("/token refuses client_credentials and the device grant for it", async () => {
    await expectRefused("/token", { grant_type: "client_credentials", resource: RESOURCE }, 400, "grant_type_not_allowed_for_client");
    await expectRefused("/token", { grant_type: DEVICE_GRANT, device_code: "x" }, 400, "grant_type_not_allowed_for_client");
  });

  it("/par accepts its push (public client, client_id alone) and the pushed request runs the flow; nothing but the push is stored", async () => {
    const { verifier, challenge } = verifierAndChallenge();
    const clientsBefore = (await counts(t, ["clients"])).clients;
    const pushed = await postForm("/par", {
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "offline_access notes:read",
      resource: RESOURCE,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const body = (await pushed.json()) as Json;
    expect(pushed.status, JSON.stringify(body)).toBe(201);
    const url = `${t.publicUrl}/authorize?${new URLSearchParams({ client_id: clientId, request_uri: body.request_uri as string })}`;
    const page = await signInAndConsent(new TestBrowser(t.publicUrl), url);
    const tokens = await postForm("/token", {
      grant_type: "authorization_code",
      code: page.redirectParams.get("code") as string,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    const issued = (await tokens.json()) as Json;
    expect(tokens.status, JSON.stringify(issued)).toBe(200);
    expect((await counts(t, ["clients"])).clients).toBe(clientsBefore);

    // A public client learns nothing at /introspect (it proves nothing by sending a client_id) and revokes its own refresh token.
    const introspected = await postForm("/introspect", { token: issued.access_token as string });
    expect(introspected.status).toBe(200);
    expect(await introspected.json()).toEqual({ active: false });
    const revoked = await postForm("/revoke", { token: issued.refresh_token as string });
    expect(revoked.status).toBe(200);
    const refresh = await postForm("/token", { grant_type: "refresh_token", refresh_token: issued.refresh_token as string });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as Json).error).toBe("invalid_grant");
  });
});
