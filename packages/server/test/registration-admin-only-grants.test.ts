import { describe, expect, it } from "vitest";
import { type Json, useTestWard } from "./support/admin.js";
import { seedFlowFixtures } from "./support/flow.js";
import type { TestWard } from "./support/ward.js";

/**
 * A self-registered client names its own `scope`; client_credentials issues tokens with that scope
 * and no user in the loop. With both on, anyone who can reach /register would mint machine tokens
 * for every resource: client_credentials is given by an administrator only (RFC 7591 §5: the
 * server decides what a registration may obtain).
 */
const MACHINE_CLIENT = {
  client_name: "Self-registered machine",
  grant_types: ["client_credentials"],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: "client_secret_basic",
  scope: "notes:read",
};

async function clientCount(t: TestWard): Promise<number> {
  return ((await (await t.admin("/admin/v1/clients")).json()) as { clients: Json[] }).clients.length;
}

function send(t: TestWard, method: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${t.publicUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe("DCR with registration.policy open and grants.client_credentials on", () => {
  const t = useTestWard({ registration: { policy: "open" }, grants: { client_credentials: true } });

  it("POST /register refuses client_credentials with registration_metadata_invalid and stores nothing", async () => {
    await seedFlowFixtures(t);
    const before = await clientCount(t);
    const response = await send(t, "POST", "/register", MACHINE_CLIENT);
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body).toMatchObject({ code: "registration_metadata_invalid", error: "invalid_client_metadata" });
    expect(body.error_description).toContain("only an administrator registers such clients");
    expect(await clientCount(t)).toBe(before);
  });

  it("an RFC 7592 update cannot add client_credentials either, and the client is unchanged", async () => {
    const created = await send(t, "POST", "/register", {
      redirect_uris: ["http://127.0.0.1:4000/callback"],
      token_endpoint_auth_method: "client_secret_basic",
    });
    const registered = (await created.json()) as Json;
    expect(created.status, JSON.stringify(registered)).toBe(201);
    const clientId = registered.client_id as string;
    const response = await send(
      t,
      "PUT",
      `/register/${clientId}`,
      {
        client_id: clientId,
        redirect_uris: ["http://127.0.0.1:4000/callback"],
        grant_types: ["authorization_code", "client_credentials"],
        token_endpoint_auth_method: "client_secret_basic",
        scope: "notes:read",
      },
      registered.registration_access_token as string,
    );
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.code).toBe("registration_metadata_invalid");
    const stored = (await (await t.admin(`/admin/v1/clients/${clientId}`)).json()) as Json;
    expect(stored.grant_types).toEqual(registered.grant_types);
    expect(stored.scope).toBeNull();
  });
});
