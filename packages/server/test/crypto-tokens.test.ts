import { describe, expect, it } from "vitest";
import { pooledRandomBytes } from "../src/crypto/random-pool.js";
import { hashSecret, randomClientId, randomId, randomToken, timeOrderedId, verifySecret } from "../src/crypto/tokens.js";
import { newFamilyId } from "../src/oauth/issue.js";

describe("client secrets are checked against their SHA-256 hash in constant time", () => {
  const secret = randomToken();
  const stored = hashSecret(secret);
  it("accepts the secret and refuses any other, of any length", () => {
    expect(verifySecret(secret, stored)).toBe(true);
    expect(verifySecret(`${secret}x`, stored)).toBe(false);
    expect(verifySecret("", stored)).toBe(false);
    expect(verifySecret(secret, stored.slice(0, -1))).toBe(false);
    expect(verifySecret(secret, `${stored}A`)).toBe(false);
  });
});

describe("random ids and tokens drawn from the pooled CSPRNG", () => {
  it("never repeats bytes across pool refills and never changes a value handed out", () => {
    const first = pooledRandomBytes(32);
    const copy = Buffer.from(first);
    const seen = new Set<string>([first.toString("hex")]);
    for (let i = 0; i < 1000; i++) seen.add(pooledRandomBytes(32).toString("hex"));
    expect(seen.size).toBe(1001);
    expect(first.equals(copy)).toBe(true);
  });

  it("never starts a generated client id with '-' or '_' (a command line would read '-…' as an option)", () => {
    // One plain base64url id in 32 starts with either; 4000 draws would show it (1 - (31/32)^4000 ≈ 1).
    const ids = Array.from({ length: 4000 }, () => randomClientId());
    expect(ids.filter((id) => !/^[A-Za-z0-9][A-Za-z0-9_-]{21}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("gives ids and tokens of the documented sizes", () => {
    expect(randomId("at")).toMatch(/^at_[A-Za-z0-9_-]{22}$/);
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("refuses sizes above 256 bytes (keys and salts take randomBytes)", () => {
    expect(() => pooledRandomBytes(257)).toThrow(RangeError);
  });
});

describe("time-ordered ids (access-token jtis, token families): appended at the end of their index", () => {
  it("sort as text by their time (byte order, as an index compares them) and are unique within one millisecond", () => {
    const base = Date.UTC(2026, 0, 1);
    const times = Array.from({ length: 2000 }, (_, i) => base + i * 7919 + (i % 3));
    const ids = times.map((ms) => timeOrderedId("at", ms));
    const byText = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(byText).toEqual(ids);
    const sameMs = new Set(Array.from({ length: 1000 }, () => timeOrderedId("at", base)));
    expect(sameMs.size).toBe(1000);
    expect(ids[0]).toMatch(/^at_[0-9a-f]{12}[A-Za-z0-9_-]{14}$/);
  });

  it("make token family ids too: a later family sorts after an earlier one", () => {
    const base = Date.UTC(2026, 0, 1);
    const [first, second] = [newFamilyId(base), newFamilyId(base + 1)];
    expect(first).toMatch(/^fam_[0-9a-f]{12}[A-Za-z0-9_-]{14}$/);
    expect(Buffer.compare(Buffer.from(first), Buffer.from(second))).toBe(-1);
  });
});
