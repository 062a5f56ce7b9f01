import { describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";

const t = useTestWard();

interface KeySummary {
  kid: string;
  alg: string;
  state: "active" | "next" | "retired";
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  published_until: string | null;
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "private", "private_jwk", "private_jwk_encrypted"];

/** Every property name anywhere in a JSON value. */
function propertyNames(value: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) propertyNames(item, names);
  else if (value !== null && typeof value === "object") {
    for (const [name, inner] of Object.entries(value)) {
      names.add(name);
      propertyNames(inner, names);
    }
  }
  return names;
}

function expectNoPrivateMaterial(body: unknown): void {
  const names = propertyNames(body);
  for (const member of PRIVATE_MEMBERS) expect(names.has(member), member).toBe(false);
  expect(JSON.stringify(body)).not.toMatch(/private/i);
}

async function listKeys(): Promise<KeySummary[]> {
  const response = await t.admin("/admin/v1/keys");
  expect(response.status).toBe(200);
  const body = (await response.json()) as { keys: KeySummary[] };
  expectNoPrivateMaterial(body);
  return body.keys;
}

async function jwksKids(): Promise<string[]> {
  const response = await fetch(`${t.publicUrl}/jwks.json`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { keys: { kid: string }[] };
  expectNoPrivateMaterial(body);
  return body.keys.map((k) => k.kid);
}

describe("signing key rotation through the admin API (next key published before use)", () => {
  it("lists exactly one active and one next key, with no private material", async () => {
    const keys = await listKeys();
    expect(keys.map((k) => k.state).sort()).toEqual(["active", "next"]);
    const active = keys.find((k) => k.state === "active") as KeySummary;
    const next = keys.find((k) => k.state === "next") as KeySummary;
    expect(active.kid).toBe(t.ward.keys.signingKey().kid);
    expect(active.activated_at).toEqual(expect.any(String));
    expect(next.activated_at).toBeNull();
    expect(active.published_until).toBeNull();
    expect(active.alg).toBe(t.ward.config.keys.algorithm);
    expect(await jwksKids()).toEqual(expect.arrayContaining([active.kid, next.kid]));
  });

  it("rotate: the previous active is retired with published_until, the previous next is active, a new next exists", async () => {
    const before = await listKeys();
    const oldActive = before.find((k) => k.state === "active") as KeySummary;
    const oldNext = before.find((k) => k.state === "next") as KeySummary;

    const response = await t.admin("/admin/v1/keys/rotate", { method: "POST" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { retired: string; active: string; next: string; keys: KeySummary[] };
    expectNoPrivateMaterial(body);
    expect(body.retired).toBe(oldActive.kid);
    expect(body.active).toBe(oldNext.kid);
    expect([oldActive.kid, oldNext.kid]).not.toContain(body.next);

    const after = await listKeys();
    expect(after).toEqual(body.keys);
    const byKid = new Map(after.map((k) => [k.kid, k]));
    const retired = byKid.get(oldActive.kid) as KeySummary;
    expect(retired.state).toBe("retired");
    expect(retired.retired_at).toEqual(expect.any(String));
    // Published until every token it signed has expired: at least the longest token lifetime from now.
    const until = Date.parse(retired.published_until as string);
    expect(until).toBeGreaterThanOrEqual(Date.parse(retired.retired_at as string) + t.ward.config.tokens.access_token_ttl * 1000);
    expect(byKid.get(oldNext.kid)?.state).toBe("active");
    expect(byKid.get(body.next)?.state).toBe("next");
    expect(after.filter((k) => k.state === "active")).toHaveLength(1);
    expect(after.filter((k) => k.state === "next")).toHaveLength(1);
    expect(t.ward.keys.signingKey().kid).toBe(oldNext.kid);

    const kids = await jwksKids();
    expect(kids).toContain(oldActive.kid);
    expect(kids).toContain(oldNext.kid);
    expect(kids).toContain(body.next);
  });

  it("a second rotation keeps both retired keys published", async () => {
    const before = await listKeys();
    const retiredBefore = before.filter((k) => k.state === "retired").map((k) => k.kid);
    const response = await t.admin("/admin/v1/keys/rotate", { method: "POST" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { retired: string };
    const after = await listKeys();
    expect(
      after
        .filter((k) => k.state === "retired")
        .map((k) => k.kid)
        .sort(),
    ).toEqual([...retiredBefore, body.retired].sort());
    const kids = await jwksKids();
    for (const kid of [...retiredBefore, body.retired]) expect(kids).toContain(kid);
  });
});
