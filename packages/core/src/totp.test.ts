import { describe, expect, it } from "vitest";
import { base32Decode, base32Encode, hotp, otpauthUri, totp, verifyTotp } from "./totp.js";

const RFC_SECRET = Buffer.from("12345678901234567890", "ascii");

describe("RFC 4226 appendix D: HOTP test values", () => {
  const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  it.each(expected.map((code, counter) => [counter, code]))("counter %i gives %s", (counter, code) => {
    expect(hotp(RFC_SECRET, counter)).toBe(code);
  });
});

describe("RFC 6238 appendix B: TOTP SHA-1 test values (8 digits)", () => {
  it.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ])("time %i gives %s", (seconds, code) => {
    expect(totp(RFC_SECRET, seconds * 1000, { digits: 8 })).toBe(code);
  });
});

describe("verifyTotp", () => {
  const now = 1_700_000_000_000;
  it("accepts the current code and one step of drift either side, returning the step", () => {
    const step = Math.floor(now / 30000);
    expect(verifyTotp(RFC_SECRET, totp(RFC_SECRET, now), now)).toBe(step);
    expect(verifyTotp(RFC_SECRET, totp(RFC_SECRET, now - 30000), now)).toBe(step - 1);
    expect(verifyTotp(RFC_SECRET, totp(RFC_SECRET, now + 30000), now)).toBe(step + 1);
    expect(verifyTotp(RFC_SECRET, totp(RFC_SECRET, now - 90000), now)).toBeUndefined();
  });
  it("refuses a code whose step was already used (RFC 6238 §5.2)", () => {
    const step = Math.floor(now / 30000);
    expect(verifyTotp(RFC_SECRET, totp(RFC_SECRET, now), now, { lastUsedStep: step })).toBeUndefined();
    expect(verifyTotp(RFC_SECRET, totp(RFC_SECRET, now), now, { lastUsedStep: step - 1 })).toBe(step);
  });
  it("refuses malformed codes without throwing", () => {
    for (const code of ["", "12345", "1234567", "abcdef", "12 34 5x"]) expect(verifyTotp(RFC_SECRET, code, now)).toBeUndefined();
    expect(verifyTotp(RFC_SECRET, ` ${totp(RFC_SECRET, now).slice(0, 3)} ${totp(RFC_SECRET, now).slice(3)} `, now)).toBeDefined();
  });
});

describe("base32 and otpauth URIs", () => {
  it("round-trips and matches RFC 4648 §10", () => {
    expect(base32Encode(Buffer.from("foobar"))).toBe("MZXW6YTBOI");
    expect(base32Decode("mzxw6ytboi======").toString()).toBe("foobar");
    expect(() => base32Decode("MZ1")).toThrow(/base32/);
  });
  it("builds the URI authenticator apps scan", () => {
    expect(otpauthUri({ secret: "MZXW6YTBOI", issuer: "Ward", account: "ada@example.com" })).toBe(
      "otpauth://totp/Ward:ada%40example.com?secret=MZXW6YTBOI&issuer=Ward&algorithm=SHA1&digits=6&period=30",
    );
  });
});
