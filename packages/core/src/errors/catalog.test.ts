import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { catalog } from "./catalog.js";
import { errorUri, escapeHtml, toHtmlPage, toOAuthJson } from "./render.js";
import type { ErrorDefinition, OAuthErrorValue } from "./types.js";
import { findError, formatDescription, listErrors, WardError } from "./ward-error.js";

/**
 * The HTTP statuses each wire `error` may use: RFC 6749 §5.2 (token endpoint: 400, invalid_client
 * 401), RFC 6750 §3.1 (invalid_token 401, insufficient_scope 403), RFC 7591 §3.2.2, RFC 8628 §3.5,
 * RFC 8693 §2.2.2, RFC 8707 §2, RFC 9449 (400 at the authorization server, 401 at a resource
 * server), OIDC Core §3.1.2.6; and Ward's own values for non-OAuth endpoints. Typed as a Record so
 * a new OAuthErrorValue cannot be added without deciding its status here.
 */
const STATUSES: Record<OAuthErrorValue, readonly number[]> = {
  invalid_request: [400],
  invalid_client: [401],
  invalid_grant: [400],
  unauthorized_client: [400],
  unsupported_grant_type: [400],
  unsupported_response_type: [400],
  invalid_scope: [400],
  invalid_target: [400],
  access_denied: [400, 401, 403],
  server_error: [500],
  temporarily_unavailable: [503, 429],
  login_required: [400],
  consent_required: [400],
  interaction_required: [400, 401],
  request_not_supported: [400],
  request_uri_not_supported: [400],
  invalid_token: [401],
  insufficient_scope: [403],
  invalid_dpop_proof: [400, 401],
  use_dpop_nonce: [400, 401],
  invalid_redirect_uri: [400],
  invalid_client_metadata: [400],
  authorization_pending: [400],
  slow_down: [400],
  expired_token: [400],
  not_found: [404],
  unauthorized: [401],
  conflict: [409],
  method_not_allowed: [405],
  unsupported_media_type: [415],
  payload_too_large: [413],
  configuration_error: [500],
};

/** Errors about the client or its redirect URI: Ward must never redirect with them. */
const NEVER_REDIRECT = [
  "authorize_client_id_missing",
  "authorize_client_unknown",
  "redirect_uri_missing",
  "redirect_uri_mismatch",
  "authorize_parameter_repeated",
  "request_uri_unknown",
  "request_uri_expired",
  "request_uri_reused",
  "request_uri_client_mismatch",
  "request_uri_unsupported",
  "client_metadata_document_invalid",
  "client_metadata_document_fetch_failed",
  "client_metadata_document_not_https",
  "client_metadata_document_address_refused",
  "client_metadata_document_redirected",
  "client_metadata_document_too_large",
  "client_metadata_document_not_json",
  "client_metadata_document_client_id_mismatch",
  "client_metadata_document_auth_method_not_allowed",
  "authorization_session_expired",
];

const placeholders = (d: ErrorDefinition) => [...d.description.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? "");

function definition(code: string): ErrorDefinition {
  const found = findError(code);
  if (!found) throw new Error(`${code} is not in the catalog`);
  return found;
}

describe("catalog entries", () => {
  it("never puts personal data in an error that is redirected to a client (it would reach the client without consent)", () => {
    for (const d of Object.values(catalog)) {
      if (!d.allowRedirect) continue;
      for (const param of d.params) expect(["user", "email", "name", "sub", "password"], `${d.code}.${param}`).not.toContain(param);
    }
  });

  it("has snake_case codes equal to their keys", () => {
    for (const [key, d] of Object.entries(catalog)) {
      expect(d.code).toBe(key);
      expect(key).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    }
  });

  it("defines each code once across the area files, and merges every area file into catalog.ts", () => {
    const dir = new URL("./catalog/", import.meta.url);
    const keys = readdirSync(dir)
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
      .flatMap((file) => [...readFileSync(new URL(file, dir), "utf8").matchAll(/^ {2}([a-z][a-z0-9_]*): \{$/gm)].map((m) => m[1]));
    const duplicates = keys.filter((key, index) => keys.indexOf(key) !== index);
    expect(duplicates, "codes defined in two area files (the later spread silently wins)").toEqual([]);
    expect([...keys].sort(), "every area file must be spread into catalog.ts").toEqual(Object.keys(catalog).sort());
  });

  it("lists every {placeholder} of a description in params, and uses every param", () => {
    for (const d of listErrors()) {
      for (const name of placeholders(d)) expect(name, `${d.code}: {${name}}`).toMatch(/^[a-z][a-z0-9_]*$/);
      expect([...new Set(placeholders(d))].sort(), d.code).toEqual([...d.params].sort());
      expect(new Set(d.params).size, `${d.code} lists a param twice`).toBe(d.params.length);
      for (const text of [d.title, d.cause, d.fix])
        expect(text, `${d.code}: placeholders only work in descriptions`).not.toMatch(/\{[a-z_]+\}/);
    }
  });

  it("uses an HTTP error status consistent with its OAuth error", () => {
    for (const d of listErrors()) {
      expect(Number.isInteger(d.status) && d.status >= 400 && d.status <= 599, `${d.code}: ${d.status}`).toBe(true);
      expect(STATUSES[d.oauthError], `${d.code}: error=${d.oauthError} with HTTP ${d.status}`).toContain(d.status);
    }
  });

  it("writes title, description, cause and fix as finished text", () => {
    for (const d of listErrors()) {
      for (const [field, text] of Object.entries({ title: d.title, description: d.description, cause: d.cause, fix: d.fix })) {
        expect(text.trim(), `${d.code}.${field}`).toBe(text);
        expect(text.length, `${d.code}.${field}`).toBeGreaterThan(5);
        expect(text, `${d.code}.${field} is one line`).not.toContain("\n");
      }
      expect(d.title, `${d.code}.title: a title, not a sentence`).not.toMatch(/\.$/);
      expect(d.description, `${d.code}.description`).toMatch(/[.)}]$/);
      expect(d.cause, `${d.code}.cause`).toMatch(/[.)]$/);
      expect(d.fix, `${d.code}.fix`).toMatch(/[.)`]$/);
    }
  });

  it("allows a redirect to the client only for 400 errors of the authorization endpoint, never for client or redirect_uri problems", () => {
    for (const code of NEVER_REDIRECT) expect(findError(code)?.allowRedirect, code).not.toBe(true);
    for (const d of listErrors().filter((entry) => entry.allowRedirect)) {
      expect(d.status, d.code).toBe(400);
      expect(["authorize", "consent", "resource"], `${d.code} (area ${d.area})`).toContain(d.area);
    }
    for (const code of ["pkce_challenge_missing", "pkce_method_plain_refused", "consent_denied", "prompt_none_login_required"]) {
      expect(definition(code).allowRedirect, code).toBe(true);
    }
  });

  it("seeds the authorization-server failures of the troubleshooting pages with their RFC error values", () => {
    const expected: Record<string, [number, OAuthErrorValue]> = {
      redirect_uri_mismatch: [400, "invalid_request"],
      pkce_challenge_missing: [400, "invalid_request"],
      pkce_method_plain_refused: [400, "invalid_request"],
      pkce_verifier_malformed: [400, "invalid_request"],
      pkce_verifier_mismatch: [400, "invalid_grant"],
      pkce_downgrade: [400, "invalid_grant"],
      authorization_code_reused: [400, "invalid_grant"],
      authorization_code_expired: [400, "invalid_grant"],
      refresh_token_reused: [400, "invalid_grant"],
      grant_type_disabled: [400, "unsupported_grant_type"],
      grant_type_not_allowed_for_client: [400, "unauthorized_client"],
      scope_not_declared_on_resource: [400, "invalid_scope"],
      resource_unknown: [400, "invalid_target"],
      authorization_session_expired: [400, "invalid_request"],
      client_secret_invalid: [401, "invalid_client"],
      dpop_jti_reused: [400, "invalid_dpop_proof"],
      dpop_nonce_required: [400, "use_dpop_nonce"],
      dpop_htu_mismatch: [400, "invalid_dpop_proof"],
      device_authorization_pending: [400, "authorization_pending"],
      device_slow_down: [400, "slow_down"],
      device_code_expired: [400, "expired_token"],
      device_access_denied: [400, "access_denied"],
      upstream_consent_required: [400, "consent_required"],
      token_exchange_subject_token_invalid: [400, "invalid_request"],
      registration_redirect_uri_invalid: [400, "invalid_redirect_uri"],
      registration_metadata_invalid: [400, "invalid_client_metadata"],
    };
    for (const [code, [status, oauthError]] of Object.entries(expected)) {
      const d = definition(code);
      expect([d.status, d.oauthError], code).toEqual([status, oauthError]);
    }
    expect(definition("two_factor_required").area).toBe("login");
    expect(definition("authorization_session_expired").params).toContain("lifetime");
  });
});

describe("formatDescription", () => {
  it("fills every param", () => {
    expect(
      formatDescription(definition("redirect_uri_mismatch"), {
        received: "https://app.example.com/cb/",
        client_id: "agent-1",
        closest: "https://app.example.com/cb",
        difference: "trailing slash",
      }),
    ).toBe(
      "redirect_uri https://app.example.com/cb/ is not registered for client agent-1. Closest registered: https://app.example.com/cb (trailing slash).",
    );
  });

  it("shows (none) for a missing param and null for null", () => {
    expect(formatDescription(definition("redirect_uri_mismatch"), { received: null, client_id: "agent-1" })).toBe(
      "redirect_uri null is not registered for client agent-1. Closest registered: (none) ((none)).",
    );
  });

  it("gives WardError the filled description as its message", () => {
    const error = new WardError("client_not_found", { client_id: "abc", unused: 1 });
    expect(error.message).toBe("There is no client with client_id abc.");
    expect([error.status, error.oauthError, error.code]).toEqual([404, "not_found", "client_not_found"]);
  });
});

describe("toOAuthJson", () => {
  it("gives error, error_description, error_uri (<base>/<code>) and code", () => {
    const error = new WardError("pkce_verifier_mismatch", { computed: "abc", expected: "xyz" });
    expect(toOAuthJson(error, "https://auth.example.com/errors")).toEqual({
      error: "invalid_grant",
      error_description: "BASE64URL(SHA256(code_verifier)) is abc, but the authorization request's code_challenge was xyz.",
      error_uri: "https://auth.example.com/errors/pkce_verifier_mismatch",
      code: "pkce_verifier_mismatch",
    });
    expect(errorUri("https://auth.example.com/errors///", "redirect_uri_mismatch")).toBe(
      "https://auth.example.com/errors/redirect_uri_mismatch",
    );
    expect(toOAuthJson(error)).not.toHaveProperty("error_uri");
  });

  it("merges object details without overwriting the standard members", () => {
    const error = new WardError(
      "upstream_consent_required",
      { provider: "github", scopes: "repo", consent_url: "https://auth.example.com/connect/github" },
      { details: { consent_url: "https://auth.example.com/connect/github", error: "x", code: "y", error_description: "z" } },
    );
    const body = toOAuthJson(error);
    expect(body.error).toBe("consent_required");
    expect(body.code).toBe("upstream_consent_required");
    expect(body.error_description).toBe(error.message);
    expect(body.consent_url).toBe("https://auth.example.com/connect/github");
    expect(Object.keys(toOAuthJson(new WardError("internal_error", { request_id: "r" }, { details: ["ignored"] })))).toEqual([
      "error",
      "error_description",
      "code",
    ]);
  });
});

describe("toHtmlPage", () => {
  it("escapes hostile params and shows title, description, cause, fix and code", () => {
    const hostile = '"><script>alert(1)</script>';
    const error = new WardError("redirect_uri_mismatch", {
      received: hostile,
      client_id: "agent-1",
      closest: "https://a/cb",
      difference: "x",
    });
    const html = toHtmlPage(error, { errorsBaseUrl: "https://auth.example.com/errors", requestId: "req-1" });
    expect(html).not.toContain("<script>");
    expect(html).toContain(`redirect_uri &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; is not registered for client agent-1.`);
    const d = definition("redirect_uri_mismatch");
    expect(html).toContain(`<h1>${escapeHtml(d.title)}</h1>`);
    expect(html).toContain(`<p>${escapeHtml(d.cause)}</p>`);
    expect(html).toContain(`<p>${escapeHtml(d.fix)}</p>`);
    expect(html).toContain("Error code: <code>redirect_uri_mismatch</code> (HTTP 400, <code>invalid_request</code>)");
    expect(html).toContain('<a href="https://auth.example.com/errors/redirect_uri_mismatch">');
    expect(html).toContain("Request id: <code>req-1</code>");
  });
});
