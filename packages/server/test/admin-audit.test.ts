import { describe, expect, it } from "vitest";
import { expectInvalid, type Json, useTestWard } from "./support/admin.js";

const t = useTestWard();

const events = async (query = ""): Promise<Json[]> => {
  const response = await t.admin(`/admin/v1/audit-events${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { audit_events: Json[] }).audit_events;
};

describe("GET /admin/v1/audit-events", () => {
  it("lists the newest events first, filtered by type or subject, limited", async () => {
    for (const id of ["audit-a", "audit-b", "audit-c"]) {
      expect((await t.admin("/admin/v1/clients", { body: { client_id: id, redirect_uris: ["https://a.example/cb"] } })).status).toBe(201);
    }
    expect((await t.admin("/admin/v1/clients/audit-b", { method: "DELETE" })).status).toBe(204);
    const created = await events("?type=client.created");
    expect(created.map((e) => e.subject)).toEqual(["audit-c", "audit-b", "audit-a"]);
    expect(created[0]).toMatchObject({ type: "client.created", actor: "admin", data: {} });
    expect(new Date(created[0]?.created_at as string).toISOString()).toBe(created[0]?.created_at);
    expect((await events("?subject=audit-b")).map((e) => e.type)).toEqual(["client.deleted", "client.created"]);
    expect(await events("?type=client.created&limit=1")).toHaveLength(1);
  });

  it("refuses a bad limit or an unknown parameter, naming the field", async () => {
    await expectInvalid(await t.admin("/admin/v1/audit-events?limit=0"), ["limit"]);
    await expectInvalid(await t.admin("/admin/v1/audit-events?limit=many"), ["limit"]);
    await expectInvalid(await t.admin("/admin/v1/audit-events?kind=x"), ["kind"]);
  });

  it("needs the admin key", async () => {
    const refused = await t.admin("/admin/v1/audit-events", { key: null });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe("admin_unauthorized");
  });
});
