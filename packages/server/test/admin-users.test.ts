import { randomBytes, scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../src/crypto/password.js";
import { adminCollection, expectInvalid, type Json, useTestWard } from "./support/admin.js";

const t = useTestWard();
const { createOk, list, expectCreateRefused } = adminCollection(t, "/admin/v1/users", "users");

async function storedHash(id: string): Promise<string> {
  const row = await t.ward.database.db.selectFrom("users").select(["password_hash"]).where("id", "=", id).executeTakeFirstOrThrow();
  return row.password_hash as string;
}

function expectNoPasswordMaterial(value: unknown, password: string): void {
  const text = JSON.stringify(value);
  expect(text).not.toContain(password);
  expect(text).not.toContain("scrypt$");
  expect(text).not.toContain("password");
}

describe("admin users: passwords are stored only as scrypt hashes and never shown", () => {
  it("creates a user; the response has no password or hash; the stored hash is scrypt and verifies", async () => {
    const password = "correct horse battery staple";
    const created = await createOk({ email: "ada@example.com", password, name: "Ada Lovelace" });
    expect(created).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace", disabled: false });
    expect(created.id).toMatch(/^usr_[A-Za-z0-9_-]+$/);
    expectNoPasswordMaterial(created, password);
    const hash = await storedHash(created.id as string);
    expect(hash.startsWith("scrypt$65536$8$2$")).toBe(true);
    expect(hash).not.toContain(password);
    expect(await verifyPassword(password, hash)).toBe(true);
    expectNoPasswordMaterial(await list(), password);
    expectNoPasswordMaterial(await (await t.admin(`/admin/v1/users/${created.id}`)).json(), password);
  });

  it("creates a user without a name", async () => {
    const created = await createOk({ email: "noname@example.com", password: "long enough pw" });
    expect(created.name).toBeNull();
  });
});

describe("password hashes", () => {
  it("a hash stored with the earlier parameters (N=2^17, r=8, p=1) still verifies, with its own parameters", async () => {
    const salt = randomBytes(16);
    const key = scryptSync("earlier password", salt, 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 });
    const earlier = ["scrypt", 2 ** 17, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$");
    expect(await verifyPassword("earlier password", earlier)).toBe(true);
    expect(await verifyPassword("another password", earlier)).toBe(false);
  });
});

describe("admin users: lookup by id and by email (case-insensitive)", () => {
  it("gets a user by id and by email in any case, also through ?email=", async () => {
    const created = await createOk({ email: "Grace.Hopper@Example.com", password: "cobol-1959-rocks", name: "Grace" });
    const byId = await t.admin(`/admin/v1/users/${created.id}`);
    expect(byId.status).toBe(200);
    expect(await byId.json()).toEqual(created);
    for (const email of ["Grace.Hopper@Example.com", "grace.hopper@example.com", "GRACE.HOPPER@EXAMPLE.COM"]) {
      const byEmail = await t.admin(`/admin/v1/users/${encodeURIComponent(email)}`);
      expect(byEmail.status, email).toBe(200);
      expect(((await byEmail.json()) as Json).id).toBe(created.id);
      const byQuery = await t.admin(`/admin/v1/users?email=${encodeURIComponent(email)}`);
      expect(byQuery.status, email).toBe(200);
      expect(((await byQuery.json()) as { users: Json[] }).users.map((u) => u.id)).toEqual([created.id]);
    }
  });

  it("user_email_taken (409) for the same email in another case; nothing created", async () => {
    const first = await createOk({ email: "linus@example.com", password: "penguins-123" });
    const before = await list();
    const response = await t.admin("/admin/v1/users", { body: { email: "LINUS@Example.COM", password: "penguins-456" } });
    expect(response.status).toBe(409);
    const json = (await response.json()) as Json;
    expect(json.code).toBe("user_email_taken");
    expect(json.error_description).toContain(String(first.id));
    expect(await list()).toEqual(before);
  });

  it("user_email_taken (409) when PATCH gives a user another user's email", async () => {
    await createOk({ email: "owner@example.com", password: "owner-password" });
    const other = await createOk({ email: "other@example.com", password: "other-password" });
    const response = await t.admin(`/admin/v1/users/${other.id}`, { method: "PATCH", body: { email: "Owner@example.com" } });
    expect(response.status).toBe(409);
    expect(((await response.json()) as Json).code).toBe("user_email_taken");
    expect(((await (await t.admin(`/admin/v1/users/${other.id}`)).json()) as Json).email).toBe("other@example.com");
  });

  it("user_not_found (404) for an unknown id or email", async () => {
    for (const reference of ["usr_unknown", "nobody@example.com"]) {
      for (const method of ["GET", "PATCH", "DELETE"] as const) {
        const response = await t.admin(`/admin/v1/users/${encodeURIComponent(reference)}`, {
          method,
          body: method === "PATCH" ? { name: "x" } : undefined,
        });
        expect(response.status, `${method} ${reference}`).toBe(404);
        const json = (await response.json()) as Json;
        expect(json.code).toBe("user_not_found");
        expect(json.error_description).toBe(`There is no user ${reference}.`);
      }
    }
    const byQuery = await t.admin("/admin/v1/users?email=nobody%40example.com");
    expect(byQuery.status).toBe(404);
  });
});

describe("admin users: update and delete", () => {
  it("disables and re-enables a user with PATCH {disabled}", async () => {
    const created = await createOk({ email: "toggle@example.com", password: "toggle-password" });
    const disabled = await t.admin(`/admin/v1/users/${created.id}`, { method: "PATCH", body: { disabled: true } });
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as Json).disabled).toBe(true);
    expect(((await (await t.admin(`/admin/v1/users/${created.id}`)).json()) as Json).disabled).toBe(true);
    const enabled = await t.admin(`/admin/v1/users/${created.id}`, { method: "PATCH", body: { disabled: false } });
    expect(((await enabled.json()) as Json).disabled).toBe(false);
  });

  it("changes the password: a new hash that verifies the new password only; nothing shown", async () => {
    const created = await createOk({ email: "rotate@example.com", password: "first-password" });
    const before = await storedHash(created.id as string);
    const response = await t.admin(`/admin/v1/users/${encodeURIComponent("rotate@example.com")}`, {
      method: "PATCH",
      body: { password: "second-password" },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expectNoPasswordMaterial(body, "second-password");
    const after = await storedHash(created.id as string);
    expect(after).not.toBe(before);
    expect(after.startsWith("scrypt$")).toBe(true);
    expect(await verifyPassword("second-password", after)).toBe(true);
    expect(await verifyPassword("first-password", after)).toBe(false);
  });

  it("updates name and email", async () => {
    const created = await createOk({ email: "rename@example.com", password: "rename-password", name: "Old" });
    const response = await t.admin(`/admin/v1/users/${created.id}`, {
      method: "PATCH",
      body: { name: "New", email: "renamed@example.com" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: created.id, name: "New", email: "renamed@example.com" });
    expect((await t.admin("/admin/v1/users/renamed%40example.com")).status).toBe(200);
    expect((await t.admin("/admin/v1/users/rename%40example.com")).status).toBe(404);
  });

  it("deletes a user (204) by id; then user_not_found", async () => {
    const created = await createOk({ email: "gone@example.com", password: "gone-password" });
    const response = await t.admin(`/admin/v1/users/${created.id}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect((await t.admin(`/admin/v1/users/${created.id}`)).status).toBe(404);
    expect((await list()).map((u) => u.id)).not.toContain(created.id);
  });
});

describe("admin users: invalid bodies", () => {
  it("refuses an invalid email", async () => {
    for (const email of ["not-an-email", "a@", "@example.com", ""]) {
      const { problems } = await expectCreateRefused({ email, password: "long-enough-password" }, ["email"]);
      expect(problems[0]?.received).toBe(JSON.stringify(email));
    }
  });

  it("refuses a short password without showing it", async () => {
    const { problems, text } = await expectCreateRefused({ email: "short@example.com", password: "hunter2" }, ["password"]);
    expect(problems[0]?.received).not.toContain("hunter2");
    expect(problems[0]?.received).toContain("7-character");
    expect(problems[0]?.expected).toContain("at least 8");
    expect(text).not.toContain("hunter2");
  });

  it("refuses a short password on PATCH too, without showing it, and keeps the hash", async () => {
    const created = await createOk({ email: "keep@example.com", password: "keep-password" });
    const before = await storedHash(created.id as string);
    const { text } = await expectInvalid(await t.admin(`/admin/v1/users/${created.id}`, { method: "PATCH", body: { password: "abc12" } }), [
      "password",
    ]);
    expect(text).not.toContain("abc12");
    expect(await storedHash(created.id as string)).toBe(before);
  });

  it("refuses unknown fields (password_hash cannot be set directly)", async () => {
    const { problems, text } = await expectCreateRefused(
      { email: "unknown@example.com", password: "long-enough-password", password_hash: "scrypt$1$1$1$x$y", role: "admin" },
      ["password_hash", "role"],
    );
    expect(text).not.toContain("scrypt$1$1$1$x$y");
    expect(problems.every((p) => p.received === "unknown field(s)")).toBe(true);
  });

  it("lists every bad field at once", async () => {
    await expectCreateRefused({ email: "nope", password: 12345678, name: "" }, ["email", "password", "name"]);
    await expectCreateRefused({}, ["email", "password"]);
  });

  it("refuses disabled on create (users start enabled) and non-boolean disabled on PATCH", async () => {
    await expectCreateRefused({ email: "flag@example.com", password: "long-enough-password", disabled: true }, ["disabled"]);
    const created = await createOk({ email: "flag2@example.com", password: "long-enough-password" });
    await expectInvalid(await t.admin(`/admin/v1/users/${created.id}`, { method: "PATCH", body: { disabled: "yes" } }), ["disabled"]);
    expect(((await (await t.admin(`/admin/v1/users/${created.id}`)).json()) as Json).disabled).toBe(false);
  });

  it("body_malformed (400) and unsupported_media_type (415)", async () => {
    const malformed = await t.admin("/admin/v1/users", { body: "email=a@b.c" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Json).code).toBe("body_malformed");
    const wrongType = await t.admin("/admin/v1/users", {
      body: "email=a@b.c&password=12345678",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as Json).code).toBe("unsupported_media_type");
  });
});
