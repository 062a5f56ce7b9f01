import { describe, expect, it } from "vitest";
import { checkAuthorizationPkce, checkTokenPkce, s256Challenge } from "./pkce.js";

// RFC 7636 Appendix B test vector.
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

describe("RFC 7636 §4.2 S256", () => {
  it("matches the RFC's Appendix B example", () => {
    expect(s256Challenge(VERIFIER)).toBe(CHALLENGE);
  });
});

describe("RFC 7636 §4.3 / OAuth 2.1 §4.1.1: PKCE on the authorization request", () => {
  const check = (code_challenge?: string, code_challenge_method?: string) =>
    checkAuthorizationPkce({ client_id: "c1", code_challenge, code_challenge_method })?.code;

  it("accepts an S256 challenge", () => {
    expect(check(CHALLENGE, "S256")).toBeUndefined();
  });
  it("refuses a missing challenge with pkce_challenge_missing", () => {
    expect(check(undefined, "S256")).toBe("pkce_challenge_missing");
    expect(check("", "S256")).toBe("pkce_challenge_missing");
  });
  it("refuses plain, and an absent method (which means plain), with pkce_method_plain_refused", () => {
    expect(check(CHALLENGE, "plain")).toBe("pkce_method_plain_refused");
    expect(check(CHALLENGE)).toBe("pkce_method_plain_refused");
    expect(checkAuthorizationPkce({ client_id: "c1", code_challenge: CHALLENGE })?.message).toBe(
      "code_challenge_method is absent (RFC 7636 then means plain), which means the plain method; Ward accepts only S256.",
    );
  });
  it("refuses other method names, case included, with pkce_method_unsupported", () => {
    expect(check(CHALLENGE, "s256")).toBe("pkce_method_unsupported");
    expect(check(CHALLENGE, "SHA256")).toBe("pkce_method_unsupported");
  });
  it("refuses a challenge that is not 43 base64url characters with pkce_challenge_malformed", () => {
    expect(check(`${CHALLENGE}=`, "S256")).toBe("pkce_challenge_malformed");
    expect(check(CHALLENGE.replace("-", "+"), "S256")).toBe("pkce_challenge_malformed");
    expect(check(VERIFIER.slice(0, 40), "S256")).toBe("pkce_challenge_malformed");
  });
});

describe("RFC 7636 §4.6 / RFC 9700 §4.8.2: PKCE on the code exchange", () => {
  it("accepts the verifier of the challenge", () => {
    expect(checkTokenPkce(CHALLENGE, VERIFIER)).toBeUndefined();
  });
  it("refuses another verifier with pkce_verifier_mismatch, showing both hashes", () => {
    const other = "x".repeat(43);
    const error = checkTokenPkce(CHALLENGE, other);
    expect(error?.code).toBe("pkce_verifier_mismatch");
    expect(error?.message).toContain(s256Challenge(other));
    expect(error?.message).toContain(CHALLENGE);
  });
  it("refuses a missing verifier with pkce_verifier_missing", () => {
    expect(checkTokenPkce(CHALLENGE, undefined)?.code).toBe("pkce_verifier_missing");
  });
  it("refuses malformed verifiers with pkce_verifier_malformed, saying why", () => {
    expect(checkTokenPkce(CHALLENGE, "short")?.message).toBe(
      "code_verifier has 5 characters, fewer than 43; it must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).",
    );
    expect(checkTokenPkce(CHALLENGE, "a".repeat(129))?.code).toBe("pkce_verifier_malformed");
    expect(checkTokenPkce(CHALLENGE, `${"a".repeat(43)}+`)?.message).toContain('contains "+"');
  });
  it("refuses a verifier for a code issued without a challenge (downgrade)", () => {
    expect(checkTokenPkce(null, VERIFIER)?.code).toBe("pkce_downgrade");
    expect(checkTokenPkce(undefined, undefined)).toBeUndefined();
  });
});
