import { describe, expect, it } from "vitest";
import { adminCollection, expectInvalid, type Json, useTestWard } from "./support/admin.js";

const t = useTestWard();
const { createOk, list, expectCreateRefused } = adminCollection(t, "/admin/v1/resources", "resources");

const scopes = [
  { name: "mcp:tools", description: "Use the tools of this MCP server" },
  { name: "files.read", description: "Read your files" },
];

describe("admin resources (RFC 8707 resource indicators): create, read, update, delete", () => {
  it("creates a resource; access_token_ttl defaults to tokens.access_token_ttl (3600)", async () => {
    const created = await createOk({ uri: "https://api.example.com/mcp", scopes });
    expect(created).toMatchObject({ uri: "https://api.example.com/mcp", scopes, access_token_ttl: 3600 });
    expect(t.ward.config.tokens.access_token_ttl).toBe(3600);
    expect(created.id).toMatch(/^res_[A-Za-z0-9_-]+$/);
    expect(created.created_at).toEqual(expect.any(String));
  });

  it("keeps an explicit access_token_ttl and accepts a resource without scopes", async () => {
    const created = await createOk({ uri: "https://short.example.com/", access_token_ttl: 300 });
    expect(created).toMatchObject({ access_token_ttl: 300, scopes: [] });
  });

  it("gets a resource by id and by URL-encoded URI", async () => {
    const created = await createOk({ uri: "https://lookup.example.com/api/v1", scopes });
    const byId = await t.admin(`/admin/v1/resources/${created.id}`);
    expect(byId.status).toBe(200);
    expect(await byId.json()).toEqual(created);
    const byUri = await t.admin(`/admin/v1/resources/${encodeURIComponent("https://lookup.example.com/api/v1")}`);
    expect(byUri.status).toBe(200);
    expect(await byUri.json()).toEqual(created);
    const byQuery = await t.admin(`/admin/v1/resources?uri=${encodeURIComponent("https://lookup.example.com/api/v1")}`);
    expect(byQuery.status).toBe(200);
    expect(await byQuery.json()).toEqual({ resources: [created] });
  });

  it("matches URIs exactly: a trailing slash is another resource", async () => {
    const response = await t.admin(`/admin/v1/resources/${encodeURIComponent("https://lookup.example.com/api/v1/")}`);
    expect(response.status).toBe(404);
    const json = (await response.json()) as Json;
    expect(json.code).toBe("resource_not_found");
    expect(json.error_description).toBe("There is no resource https://lookup.example.com/api/v1/.");
  });

  it("lists resources", async () => {
    const created = await createOk({ uri: "https://listed.example.com/" });
    expect((await list()).map((r) => r.id)).toContain(created.id);
  });

  it("updates scopes, ttl and uri with PATCH", async () => {
    const created = await createOk({ uri: "https://patch.example.com/", scopes });
    const response = await t.admin(`/admin/v1/resources/${created.id}`, {
      method: "PATCH",
      body: { scopes: [{ name: "read", description: "Read things" }], access_token_ttl: 900 },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: created.id,
      uri: "https://patch.example.com/",
      scopes: [{ name: "read", description: "Read things" }],
      access_token_ttl: 900,
    });
    const moved = await t.admin(`/admin/v1/resources/${encodeURIComponent("https://patch.example.com/")}`, {
      method: "PATCH",
      body: { uri: "https://moved.example.com/" },
    });
    expect(moved.status).toBe(200);
    const got = (await (await t.admin(`/admin/v1/resources/${created.id}`)).json()) as Json;
    expect(got).toMatchObject({ uri: "https://moved.example.com/", access_token_ttl: 900 });
  });

  it("deletes by id (204); then resource_not_found", async () => {
    const created = await createOk({ uri: "https://deleted.example.com/" });
    const response = await t.admin(`/admin/v1/resources/${created.id}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    const gone = await t.admin(`/admin/v1/resources/${created.id}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as Json).code).toBe("resource_not_found");
    expect((await list()).map((r) => r.id)).not.toContain(created.id);
    const again = await t.admin(`/admin/v1/resources/${created.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
  });

  it("deletes by URL-encoded URI", async () => {
    await createOk({ uri: "https://deleted-by-uri.example.com/mcp" });
    const response = await t.admin(`/admin/v1/resources/${encodeURIComponent("https://deleted-by-uri.example.com/mcp")}`, {
      method: "DELETE",
    });
    expect(response.status).toBe(204);
    expect((await list()).map((r) => r.uri)).not.toContain("https://deleted-by-uri.example.com/mcp");
  });

  it("resource_uri_taken (409) for a URI already registered, naming the existing id; nothing changes", async () => {
    const first = await createOk({ uri: "https://taken.example.com/", scopes });
    const before = await list();
    const response = await t.admin("/admin/v1/resources", { body: { uri: "https://taken.example.com/", access_token_ttl: 120 } });
    expect(response.status).toBe(409);
    const json = (await response.json()) as Json;
    expect(json.code).toBe("resource_uri_taken");
    expect(json.error_description).toBe(`A resource with uri https://taken.example.com/ already exists (id ${first.id}).`);
    expect(await list()).toEqual(before);
  });

  it("resource_uri_taken (409) when PATCH moves a resource onto another's URI", async () => {
    const a = await createOk({ uri: "https://a.example.com/" });
    await createOk({ uri: "https://b.example.com/" });
    const response = await t.admin(`/admin/v1/resources/${a.id}`, { method: "PATCH", body: { uri: "https://b.example.com/" } });
    expect(response.status).toBe(409);
    expect(((await response.json()) as Json).code).toBe("resource_uri_taken");
    expect(((await (await t.admin(`/admin/v1/resources/${a.id}`)).json()) as Json).uri).toBe("https://a.example.com/");
  });

  it("resource_not_found (404) for an unknown id on GET, PATCH and DELETE", async () => {
    for (const method of ["GET", "PATCH", "DELETE"] as const) {
      const response = await t.admin("/admin/v1/resources/res_unknown", {
        method,
        body: method === "PATCH" ? { access_token_ttl: 100 } : undefined,
      });
      expect(response.status, method).toBe(404);
      expect(((await response.json()) as Json).code).toBe("resource_not_found");
    }
  });
});

describe("admin resources: invalid bodies are refused field by field, nothing written", () => {
  it("refuses a URI with a fragment (RFC 8707 §2)", async () => {
    const {
      problems: [problem],
    } = await expectCreateRefused({ uri: "https://api.example.com/mcp#section" }, ["uri"]);
    expect(problem?.expected).toContain("fragment");
  });

  it("refuses a relative URI", async () => {
    const {
      problems: [problem],
    } = await expectCreateRefused({ uri: "/mcp" }, ["uri"]);
    expect(problem?.received).toBe('"/mcp"');
    expect(problem?.expected).toContain("absolute URI");
  });

  it("refuses access_token_ttl below 60, above 86400 or not an integer", async () => {
    for (const ttl of [59, 0, -1, 86401, 90.5, "3600"]) {
      const { problems } = await expectCreateRefused({ uri: "https://ttl.example.com/", access_token_ttl: ttl }, ["access_token_ttl"]);
      expect(problems[0]?.received).toBe(JSON.stringify(ttl));
    }
    await createOk({ uri: "https://ttl-min.example.com/", access_token_ttl: 60 });
    await createOk({ uri: "https://ttl-max.example.com/", access_token_ttl: 86400 });
  });

  it("refuses a scope name with a space", async () => {
    await expectCreateRefused({ uri: "https://scopes.example.com/", scopes: [{ name: "read write", description: "Both" }] }, [
      "scopes.0.name",
    ]);
  });

  it("refuses an empty scope description", async () => {
    await expectCreateRefused({ uri: "https://scopes.example.com/", scopes: [{ name: "read", description: "" }] }, [
      "scopes.0.description",
    ]);
  });

  it("refuses duplicate scope names", async () => {
    const { problems } = await expectCreateRefused(
      {
        uri: "https://scopes.example.com/",
        scopes: [
          { name: "read", description: "Read" },
          { name: "read", description: "Read again" },
        ],
      },
      ["scopes"],
    );
    expect(problems[0]?.received).toBe('["read"]');
  });

  it("refuses unknown fields, at the top level and in scopes", async () => {
    await expectCreateRefused(
      { uri: "https://scopes.example.com/", audience: "x", scopes: [{ name: "read", description: "Read", default: true }] },
      ["audience", "scopes.0.default"],
    );
  });

  it("lists every bad field at once, the URI rule included", async () => {
    await expectCreateRefused({ uri: "https://api.example.com/#frag", access_token_ttl: 10, scopes: [{ name: "a b", description: "" }] }, [
      "uri",
      "access_token_ttl",
      "scopes.0.name",
      "scopes.0.description",
    ]);
  });

  it("refuses a missing uri", async () => {
    const {
      problems: [problem],
    } = await expectCreateRefused({ scopes }, ["uri"]);
    expect(problem?.received).toBe("missing");
  });

  it("PATCH with a bad value changes nothing", async () => {
    const created = await createOk({ uri: "https://patch-bad.example.com/", scopes });
    await expectInvalid(
      await t.admin(`/admin/v1/resources/${created.id}`, { method: "PATCH", body: { uri: "relative/path", access_token_ttl: 100000 } }),
      ["uri", "access_token_ttl"],
    );
    expect(await (await t.admin(`/admin/v1/resources/${created.id}`)).json()).toEqual(created);
  });

  it("body_malformed (400) and unsupported_media_type (415)", async () => {
    const before = await list();
    const malformed = await t.admin("/admin/v1/resources", { body: "{uri:" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Json).code).toBe("body_malformed");
    const wrongType = await t.admin("/admin/v1/resources", {
      body: JSON.stringify({ uri: "https://x.example.com/" }),
      contentType: "text/plain",
    });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as Json).code).toBe("unsupported_media_type");
    expect(await list()).toEqual(before);
  });
});
