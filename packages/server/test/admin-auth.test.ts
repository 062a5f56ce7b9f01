import { describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";

const t = useTestWard();

const newClient = { client_name: "Should not exist", redirect_uris: ["https://app.example.com/cb"] };

/** Sends a request to the admin listener with exactly the given Authorization header (or none). */
function rawAdmin(path: string, authorization: string | undefined, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return fetch(`${t.adminUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** Asserts the 401 shape and returns the body text (the body can be read only once). */
async function expectUnauthorized(response: Response, description: RegExp | string): Promise<string> {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe('Bearer realm="ward-admin"');
  expect(response.headers.get("cache-control")).toBe("no-store");
  const text = await response.text();
  const body = JSON.parse(text) as Record<string, string>;
  expect(body).toMatchObject({ error: "unauthorized", code: "admin_unauthorized" });
  expect(body.error_uri).toMatch(/\/errors\/admin_unauthorized$/);
  expect(body.error_description).toMatch(/^The admin API needs `Authorization: Bearer <admin key>`; /);
  if (typeof description === "string") expect(body.error_description).toContain(description);
  else expect(body.error_description).toMatch(description);
  return text;
}

async function clientCount(): Promise<number> {
  const response = await t.admin("/admin/v1/clients");
  expect(response.status).toBe(200);
  return ((await response.json()) as { clients: unknown[] }).clients.length;
}

describe("admin API authentication: Authorization: Bearer <admin.api_key>", () => {
  it("refuses a request without an Authorization header (401 admin_unauthorized, says the header is missing), creating nothing", async () => {
    await expectUnauthorized(await t.admin("/admin/v1/clients", { body: newClient, key: null }), "no Authorization header was sent");
    await expectUnauthorized(await t.admin("/admin/v1/clients", { key: null }), "no Authorization header was sent");
    expect(await clientCount()).toBe(0);
  });

  it("refuses a scheme other than Bearer and names the scheme received, creating nothing", async () => {
    const basic = `Basic ${Buffer.from(`admin:${t.adminKey}`).toString("base64")}`;
    const response = await rawAdmin("/admin/v1/clients", basic, { body: newClient });
    await expectUnauthorized(response, 'the Authorization scheme is "Basic", not Bearer');
    expect(await clientCount()).toBe(0);
  });

  it("refuses a wrong key and says the key is not the configured one, creating nothing", async () => {
    const response = await t.admin("/admin/v1/clients", { body: newClient, key: "0".repeat(64) });
    await expectUnauthorized(response, "the key sent is not the configured admin key");
    expect(await clientCount()).toBe(0);
  });

  it("refuses a key that differs only by a suffix or by case (exact match)", async () => {
    await expectUnauthorized(await t.admin("/admin/v1/clients", { key: `${t.adminKey}x` }), "the key sent is not the configured admin key");
    await expectUnauthorized(
      await t.admin("/admin/v1/clients", { key: t.adminKey.toUpperCase() }),
      "the key sent is not the configured admin key",
    );
  });

  it("says the key is empty for `Bearer` without a key, instead of calling Bearer a wrong scheme", async () => {
    const response = await rawAdmin("/admin/v1/clients", "Bearer");
    await expectUnauthorized(response, /no key follows Bearer/);
    expect(await clientCount()).toBe(0);
  });

  it("never echoes the admin key back when it is sent without a scheme", async () => {
    const response = await rawAdmin("/admin/v1/clients", t.adminKey, { body: newClient });
    expect(await expectUnauthorized(response, /no scheme/)).not.toContain(t.adminKey);
    expect(await clientCount()).toBe(0);
  });

  it("never echoes a wrong key back", async () => {
    const wrong = "wrong-key-0123456789abcdef0123456789abcdef";
    const response = await t.admin("/admin/v1/clients", { key: wrong });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(wrong);
  });

  it("accepts the configured key, with the scheme in any case", async () => {
    const created = await t.admin("/admin/v1/clients", { body: { ...newClient, client_name: "Created with the right key" } });
    expect(created.status).toBe(201);
    expect(await clientCount()).toBe(1);
    const lower = await rawAdmin("/admin/v1/clients", `bearer ${t.adminKey}`);
    expect(lower.status).toBe(200);
  });

  it("protects every admin route, including unknown ones (no route discovery without the key)", async () => {
    for (const [method, path] of [
      ["GET", "/admin/v1/clients/anything"],
      ["DELETE", "/admin/v1/clients/anything"],
      ["POST", "/admin/v1/clients/anything/rotate-secret"],
      ["GET", "/admin/v1/resources"],
      ["GET", "/admin/v1/users"],
      ["GET", "/admin/v1/keys"],
      ["POST", "/admin/v1/keys/rotate"],
      ["GET", "/admin/v1/no-such-thing"],
    ] as const) {
      const response = await t.admin(path, { method, key: null });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(((await response.json()) as { code: string }).code).toBe("admin_unauthorized");
    }
  });
});

describe("admin API isolation: only on the admin listener", () => {
  it("is not served on the public listener (404 endpoint_not_found), even with the right key", async () => {
    for (const [method, path] of [
      ["GET", "/admin/v1/clients"],
      ["POST", "/admin/v1/clients"],
      ["GET", "/admin/v1/keys"],
      ["POST", "/admin/v1/keys/rotate"],
    ] as const) {
      const response = await fetch(`${t.publicUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "application/json" },
        body: method === "POST" ? JSON.stringify(newClient) : undefined,
      });
      expect(response.status, `${method} ${path}`).toBe(404);
      const body = (await response.json()) as Record<string, string>;
      expect(body.code).toBe("endpoint_not_found");
      expect(body.error_description).toContain(`${method} ${path}`);
    }
    expect(t.adminUrl).not.toBe(t.publicUrl);
  });
});
