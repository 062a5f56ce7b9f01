import { describe, expect, it } from "vitest";
import { describeDifference, matchRedirectUri } from "./redirect-match.js";

describe("RFC 6749 §3.1.2.3 / OAuth 2.1 §2.3.1: exact redirect URI matching", () => {
  const registered = ["https://app.example.com/cb", "https://app.example.com/other?x=1"];

  it("matches a registered URI byte for byte", () => {
    expect(matchRedirectUri("https://app.example.com/cb", registered)).toEqual({ matched: "https://app.example.com/cb" });
    expect(matchRedirectUri("https://app.example.com/other?x=1", registered)).toEqual({ matched: "https://app.example.com/other?x=1" });
  });

  it("refuses a trailing slash and says so", () => {
    expect(matchRedirectUri("https://app.example.com/cb/", registered)).toEqual({
      closest: "https://app.example.com/cb",
      difference: "trailing slash: remove the final '/'",
    });
  });

  it("refuses case, scheme, port, path, query and fragment differences, naming each", () => {
    expect(matchRedirectUri("https://APP.example.com/cb", registered)).toMatchObject({
      difference: "letter case differs; redirect URIs are compared exactly",
    });
    expect(matchRedirectUri("http://app.example.com/cb", registered)).toMatchObject({ difference: "scheme http instead of https" });
    expect(matchRedirectUri("https://app.example.com:8443/cb", registered)).toMatchObject({ difference: "port 8443 instead of (default)" });
    expect(matchRedirectUri("https://app.example.com/callback", registered)).toMatchObject({ difference: "path /callback instead of /cb" });
    expect(matchRedirectUri("https://app.example.com/cb?next=/", registered)).toMatchObject({
      difference: "query ?next=/ is not registered",
    });
    expect(matchRedirectUri("https://app.example.com/cb#x", registered)).toMatchObject({
      difference: "a fragment, which redirect URIs never have",
    });
  });

  it("never matches a prefix, a subdomain or a wildcard", () => {
    expect(matchRedirectUri("https://app.example.com/cb/../evil", registered).matched).toBeUndefined();
    expect(matchRedirectUri("https://evil.app.example.com/cb", registered).matched).toBeUndefined();
    expect(matchRedirectUri("https://app.example.com/cb", ["https://*.example.com/cb"]).matched).toBeUndefined();
  });

  it("says when a client has nothing registered", () => {
    expect(matchRedirectUri("https://a.example/cb", [])).toEqual({
      closest: "(none registered)",
      difference: "the client has no redirect URI registered",
    });
  });
});

describe("RFC 8252 §7.3: loopback IP redirects match on any port", () => {
  it("accepts another port on 127.0.0.1 and [::1]", () => {
    expect(matchRedirectUri("http://127.0.0.1:53412/callback", ["http://127.0.0.1/callback"])).toEqual({
      matched: "http://127.0.0.1:53412/callback",
    });
    expect(matchRedirectUri("http://[::1]:8080/cb", ["http://[::1]:3000/cb"])).toEqual({ matched: "http://[::1]:8080/cb" });
  });

  it("still requires the same path, query and scheme", () => {
    expect(matchRedirectUri("http://127.0.0.1:53412/other", ["http://127.0.0.1/callback"]).matched).toBeUndefined();
    expect(matchRedirectUri("https://127.0.0.1:53412/callback", ["http://127.0.0.1/callback"]).matched).toBeUndefined();
  });

  it("does not extend port flexibility to the name localhost (RFC 8252 §8.3)", () => {
    expect(matchRedirectUri("http://localhost:53412/callback", ["http://localhost/callback"]).matched).toBeUndefined();
  });
});

describe("closest-URI hints stay cheap", () => {
  it("handles a 2,000-character redirect_uri against 50 registered URIs quickly", () => {
    const registered = Array.from({ length: 50 }, (_, i) => `https://app${i}.example.com/${"p".repeat(1500)}`);
    const result = matchRedirectUri(`https://evil.example/${"q".repeat(2000)}`, registered);
    expect(result.matched).toBeUndefined();
    expect(describeDifference("https://a.example/x", "https://a.example/x/")).toBe("trailing slash: the registered URI ends with '/'");
  });
});
