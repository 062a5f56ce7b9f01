import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import {
  authorizeUrl,
  NATIVE_REDIRECT,
  RESOURCE,
  seedFlowFixtures,
  signInAndConsent,
  verifierAndChallenge,
  WEB_REDIRECT,
} from "./support/flow.js";

/**
 * Every check of /authorize (src/authorize/request.ts PAGE_CHECKS and REDIRECT_CHECKS, plus the
 * prompt=none refusals of endpoints/authorize.ts), each triggered alone with its exact catalog code.
 */
const t = useTestWard();
const { challenge } = verifierAndChallenge();

const WEB_LOOPBACK_REDIRECT = "http://127.0.0.1:8080/cb";
const NARROW_REDIRECT = "https://narrow.example.test/cb";
const M2M_REDIRECT = "https://m2m.example.test/cb";
const OTHER_RESOURCE = "https://calendar.example.test/api";
const STATE = "st-8f3a_ü&x=1";

type Params = Record<string, string | undefined>;

/** A request for cli-app that passes every check (no session: it goes on to the sign-in page). */
const valid = (overrides: Params = {}): Params => ({
  response_type: "code",
  client_id: "cli-app",
  redirect_uri: NATIVE_REDIRECT,
  scope: "openid notes:read",
  resource: RESOURCE,
  code_challenge: challenge,
  code_challenge_method: "S256",
  state: STATE,
  ...overrides,
});

/** The same request for the confidential web client. */
const validWeb = (overrides: Params = {}): Params => valid({ client_id: "web-app", redirect_uri: WEB_REDIRECT, ...overrides });

/** An /authorize URL with each [name, value] appended in order (repeats allowed). */
function rawUrl(pairs: [string, string][]): string {
  const url = new URL("/authorize", t.publicUrl);
  for (const [name, value] of pairs) url.searchParams.append(name, value);
  return url.toString();
}

const get = (url: string, init: RequestInit = {}) => fetch(url, { redirect: "manual", ...init });

/** A page check failed: 400 HTML page naming the code, and no redirect anywhere. */
async function expectPage(response: Response, code: string): Promise<string> {
  const html = await response.text();
  expect(response.status, html.slice(0, 800)).toBe(400);
  expect(response.headers.get("location")).toBeNull();
  expect(response.headers.get("content-type") ?? "").toMatch(/^text\/html/);
  expect(html).toContain(code);
  expect(html).toContain(`/errors/${code}`);
  return html;
}

/**
 * A redirect check failed: 303 to the validated redirect_uri with error, error_description,
 * error_uri = <issuer>/errors/<code>, state echoed and iss (RFC 6749 §4.1.2.1, RFC 9207).
 */
async function expectRedirect(
  response: Response,
  code: string,
  error: string,
  { redirectUri = NATIVE_REDIRECT, state = STATE as string | null } = {},
): Promise<URLSearchParams> {
  const body = await response.text();
  expect(response.status, body.slice(0, 800)).toBe(303);
  const location = new URL(response.headers.get("location") as string);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  const params = location.searchParams;
  expect(params.get("error_uri"), params.get("error_description") ?? "").toBe(`${t.ward.config.server.issuer}/errors/${code}`);
  expect(params.get("error")).toBe(error);
  expect(params.get("error_description")?.length ?? 0).toBeGreaterThan(10);
  expect(params.get("state")).toBe(state);
  expect(params.get("iss")).toBe(t.ward.config.server.issuer);
  expect(params.getAll("iss")).toHaveLength(1);
  expect(params.has("code")).toBe(false);
  return params;
}

/** Every check passed: the browser is sent on to Ward's own sign-in (not to the client). */
async function expectAccepted(response: Response): Promise<void> {
  const body = await response.text();
  expect(response.status, body.slice(0, 800)).toBe(303);
  const location = new URL(response.headers.get("location") as string, t.publicUrl);
  expect(location.origin).toBe(new URL(t.publicUrl).origin);
  expect(location.pathname).toMatch(/^\/interaction\//);
}

const redirectCase = (params: Params, code: string, error: string, options?: Parameters<typeof expectRedirect>[3]) =>
  get(authorizeUrl(t, params)).then((r) => expectRedirect(r, code, error, options));

beforeAll(async () => {
  await seedFlowFixtures(t);
  const clients: Record<string, unknown>[] = [
    {
      client_id: "web-loopback",
      client_name: "Loopback web app",
      redirect_uris: [WEB_LOOPBACK_REDIRECT],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
      application_type: "web",
    },
    {
      client_id: "narrow-app",
      client_name: "Narrow",
      redirect_uris: [NARROW_REDIRECT],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
      scope: "openid notes:read",
    },
    {
      client_id: "m2m-app",
      client_name: "Machine",
      redirect_uris: [M2M_REDIRECT],
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ];
  for (const body of clients) {
    const response = await t.admin("/admin/v1/clients", { body });
    expect(response.status, await response.clone().text()).toBe(201);
  }
  const resource = await t.admin("/admin/v1/resources", {
    body: { uri: OTHER_RESOURCE, scopes: [{ name: "calendar:read", description: "Read your calendar" }] },
  });
  expect(resource.status, await resource.clone().text()).toBe(201);
});

describe("the baseline request is accepted (so each refusal below is caused by its one change)", () => {
  it("a complete request of the native client goes on to sign-in", async () => {
    await expectAccepted(await get(authorizeUrl(t, valid())));
  });

  it("a complete request of the web client goes on to sign-in", async () => {
    await expectAccepted(await get(authorizeUrl(t, validWeb())));
  });

  it("an OpenID-only request without resource is accepted (token serves /userinfo)", async () => {
    await expectAccepted(await get(authorizeUrl(t, valid({ scope: "openid profile email", resource: undefined }))));
  });

  it("a resource scope without resource resolves to the one resource declaring it", async () => {
    await expectAccepted(await get(authorizeUrl(t, valid({ scope: "openid notes:read notes:write", resource: undefined }))));
  });

  it("the resource parameter (RFC 8707) is the one parameter that is not refused as repeated before the redirect_uri is known", async () => {
    const response = await get(
      rawUrl([
        ...Object.entries(valid({ resource: undefined })).filter((e): e is [string, string] => e[1] !== undefined),
        ["resource", RESOURCE],
        ["resource", OTHER_RESOURCE],
      ]),
    );
    await expectRedirect(response, "resource_invalid", "invalid_target");
  });
});

describe("RFC 6749 §3.1: parameters must not be repeated (authorize_parameter_repeated, shown as a page)", () => {
  const pairs = (name: string, second: string): [string, string][] => [
    ...Object.entries(valid()).filter((e): e is [string, string] => e[1] !== undefined),
    [name, second],
  ];

  it("a repeated client_id is a page, never a redirect", async () => {
    const html = await expectPage(await get(rawUrl(pairs("client_id", "web-app"))), "authorize_parameter_repeated");
    expect(html).toContain("client_id");
  });

  it("a repeated redirect_uri is a page, never a redirect (to either value)", async () => {
    const html = await expectPage(await get(rawUrl(pairs("redirect_uri", "https://attacker.example/cb"))), "authorize_parameter_repeated");
    expect(html).toContain("redirect_uri");
  });

  it("a repeated redirect_uri with the same value twice is still refused", async () => {
    await expectPage(await get(rawUrl(pairs("redirect_uri", NATIVE_REDIRECT))), "authorize_parameter_repeated");
  });

  it("a repeated state or scope is refused before anything is redirected", async () => {
    await expectPage(await get(rawUrl(pairs("state", "other"))), "authorize_parameter_repeated");
    await expectPage(await get(rawUrl(pairs("scope", "openid"))), "authorize_parameter_repeated");
  });
});

describe("RFC 6749 §4.1.1 / §3.1.2.4: client_id is required and must be registered (page)", () => {
  it("a missing client_id is authorize_client_id_missing", async () => {
    await expectPage(await get(authorizeUrl(t, valid({ client_id: undefined }))), "authorize_client_id_missing");
  });

  it("an empty client_id is authorize_client_id_missing", async () => {
    await expectPage(await get(authorizeUrl(t, valid({ client_id: "" }))), "authorize_client_id_missing");
  });

  it("an empty query is authorize_client_id_missing", async () => {
    await expectPage(await get(`${t.publicUrl}/authorize`), "authorize_client_id_missing");
  });

  it("an unknown client_id is authorize_client_unknown, even with a bad response_type (pages win over redirects)", async () => {
    await expectPage(await get(authorizeUrl(t, valid({ client_id: "nobody", response_type: "token" }))), "authorize_client_unknown");
  });

  it("a client_id that differs only in letter case is unknown", async () => {
    await expectPage(await get(authorizeUrl(t, valid({ client_id: "CLI-APP" }))), "authorize_client_unknown");
  });

  it("a client_id longer than 256 characters is authorize_parameter_invalid (page)", async () => {
    await expectPage(await get(authorizeUrl(t, valid({ client_id: "c".repeat(300) }))), "authorize_parameter_invalid");
  });
});

describe("RFC 6749 §3.1.2.3 / OAuth 2.1 §2.3.1: redirect_uri is required and matches exactly (page, never a redirect)", () => {
  it("a missing redirect_uri is redirect_uri_missing and lists the registered URI", async () => {
    const html = await expectPage(await get(authorizeUrl(t, validWeb({ redirect_uri: undefined }))), "redirect_uri_missing");
    expect(html).toContain(WEB_REDIRECT);
  });

  it("a missing redirect_uri is refused even when the client has exactly one registered", async () => {
    await expectPage(await get(authorizeUrl(t, valid({ redirect_uri: undefined }))), "redirect_uri_missing");
  });

  const webVariants: [string, string][] = [
    ["a trailing slash", `${WEB_REDIRECT}/`],
    ["http instead of https", WEB_REDIRECT.replace("https:", "http:")],
    ["an extra query string", `${WEB_REDIRECT}?next=/home`],
    ["a fragment", `${WEB_REDIRECT}#frag`],
    ["another letter case", WEB_REDIRECT.toUpperCase()],
    ["another path", "https://app.example.test/callback"],
    ["an explicit default port", "https://app.example.test:443/auth/callback"],
    ["another host", "https://attacker.example/auth/callback"],
    ["a parent-directory path", "https://app.example.test/auth/callback/../../evil"],
    ["a non-URL", "not a url"],
  ];
  for (const [name, uri] of webVariants) {
    it(`web client: ${name} is redirect_uri_mismatch, shown with the closest registered URI`, async () => {
      const html = await expectPage(await get(authorizeUrl(t, validWeb({ redirect_uri: uri }))), "redirect_uri_mismatch");
      expect(html).toContain(WEB_REDIRECT);
    });
  }

  it("the mismatch page names the difference (trailing slash)", async () => {
    const html = await expectPage(await get(authorizeUrl(t, validWeb({ redirect_uri: `${WEB_REDIRECT}/` }))), "redirect_uri_mismatch");
    expect(html).toContain("trailing slash");
  });

  const nativeVariants: [string, string][] = [
    ["localhost instead of 127.0.0.1", "http://localhost/callback"],
    ["localhost with a port", "http://localhost:53111/callback"],
    ["https instead of http", "https://127.0.0.1/callback"],
    ["another loopback path with a port", "http://127.0.0.1:53111/other"],
    ["a loopback port plus a query", "http://127.0.0.1:53111/callback?x=1"],
    ["[::1] instead of 127.0.0.1", "http://[::1]/callback"],
    ["127.0.0.2 instead of 127.0.0.1", "http://127.0.0.2/callback"],
    ["userinfo in the URI", "http://user@127.0.0.1:53111/callback"],
  ];
  for (const [name, uri] of nativeVariants) {
    it(`native client: ${name} is redirect_uri_mismatch`, async () => {
      await expectPage(await get(authorizeUrl(t, valid({ redirect_uri: uri }))), "redirect_uri_mismatch");
    });
  }

  it("a mismatched redirect_uri with every other parameter also wrong is still a page (no redirect to it)", async () => {
    await expectPage(
      await get(authorizeUrl(t, { client_id: "web-app", redirect_uri: "https://attacker.example/cb", response_type: "token" })),
      "redirect_uri_mismatch",
    );
  });
});

describe("RFC 8252 §7.3: loopback port flexibility, for native clients only", () => {
  it("the native client may use any port on its registered loopback IP redirect", async () => {
    await expectAccepted(await get(authorizeUrl(t, valid({ redirect_uri: "http://127.0.0.1:53111/callback" }))));
  });

  it("errors after the redirect_uri check go to the loopback URI with the port actually sent", async () => {
    await redirectCase(
      valid({ redirect_uri: "http://127.0.0.1:53111/callback", response_type: "token" }),
      "response_type_unsupported",
      "unsupported_response_type",
      { redirectUri: "http://127.0.0.1:53111/callback" },
    );
  });

  it("a web client's registered loopback redirect matches only with its exact port", async () => {
    await expectAccepted(
      await get(
        authorizeUrl(t, valid({ client_id: "web-loopback", redirect_uri: WEB_LOOPBACK_REDIRECT, resource: undefined, scope: "openid" })),
      ),
    );
  });

  it("a web client's loopback redirect with another port is redirect_uri_mismatch (no port flexibility)", async () => {
    const html = await expectPage(
      await get(authorizeUrl(t, valid({ client_id: "web-loopback", redirect_uri: "http://127.0.0.1:8081/cb", scope: "openid" }))),
      "redirect_uri_mismatch",
    );
    expect(html).toContain("port");
  });

  it("a web client's loopback redirect without the port is redirect_uri_mismatch", async () => {
    await expectPage(
      await get(authorizeUrl(t, valid({ client_id: "web-loopback", redirect_uri: "http://127.0.0.1/cb", scope: "openid" }))),
      "redirect_uri_mismatch",
    );
  });
});

describe("OAuth 2.1 §4.1.1 / RFC 6749 §3.1.1: response_type must be code (redirect)", () => {
  it("a missing response_type is response_type_missing (invalid_request)", async () => {
    await redirectCase(valid({ response_type: undefined }), "response_type_missing", "invalid_request");
  });

  it("response_type=token (implicit) is response_type_unsupported", async () => {
    await redirectCase(valid({ response_type: "token" }), "response_type_unsupported", "unsupported_response_type");
  });

  it('response_type="code id_token" (hybrid) is response_type_unsupported', async () => {
    await redirectCase(valid({ response_type: "code id_token" }), "response_type_unsupported", "unsupported_response_type");
  });

  it("response_type=id_token is response_type_unsupported", async () => {
    await redirectCase(valid({ response_type: "id_token" }), "response_type_unsupported", "unsupported_response_type");
  });

  it("response_type=CODE (letter case) is response_type_unsupported", async () => {
    await redirectCase(valid({ response_type: "CODE" }), "response_type_unsupported", "unsupported_response_type");
  });

  it("a client without the authorization_code grant is response_type_not_allowed_for_client (unauthorized_client)", async () => {
    await redirectCase(
      valid({ client_id: "m2m-app", redirect_uri: M2M_REDIRECT }),
      "response_type_not_allowed_for_client",
      "unauthorized_client",
      { redirectUri: M2M_REDIRECT },
    );
  });

  it("response_type is checked before PKCE (the first failing check wins)", async () => {
    await redirectCase(valid({ response_type: undefined, code_challenge: undefined }), "response_type_missing", "invalid_request");
  });
});

describe("RFC 7636 §4.3 / OAuth 2.1 §4.1.1: PKCE with S256 is required (redirect)", () => {
  it("a missing code_challenge is pkce_challenge_missing", async () => {
    await redirectCase(valid({ code_challenge: undefined, code_challenge_method: undefined }), "pkce_challenge_missing", "invalid_request");
  });

  it("a missing code_challenge is refused for confidential clients too", async () => {
    await redirectCase(validWeb({ code_challenge: undefined }), "pkce_challenge_missing", "invalid_request", {
      redirectUri: WEB_REDIRECT,
    });
  });

  it("an empty code_challenge is pkce_challenge_missing", async () => {
    await redirectCase(valid({ code_challenge: "" }), "pkce_challenge_missing", "invalid_request");
  });

  it("code_challenge_method=plain is pkce_method_plain_refused", async () => {
    await redirectCase(valid({ code_challenge_method: "plain" }), "pkce_method_plain_refused", "invalid_request");
  });

  it("an absent code_challenge_method (meaning plain) is pkce_method_plain_refused", async () => {
    await redirectCase(valid({ code_challenge_method: undefined }), "pkce_method_plain_refused", "invalid_request");
  });

  it("code_challenge_method=S512 is pkce_method_unsupported", async () => {
    await redirectCase(valid({ code_challenge_method: "S512" }), "pkce_method_unsupported", "invalid_request");
  });

  it("code_challenge_method=s256 (letter case) is pkce_method_unsupported", async () => {
    await redirectCase(valid({ code_challenge_method: "s256" }), "pkce_method_unsupported", "invalid_request");
  });

  const malformed: [string, string][] = [
    ["standard base64 with padding", `${challenge.slice(0, 42).replace(/^./, "+")}=`],
    ["too short", challenge.slice(0, 42)],
    ["too long", `${challenge}A`],
    ["hex", "a".repeat(64)],
    ["a verifier-like value of 128 characters", "A".repeat(128)],
  ];
  for (const [name, value] of malformed) {
    it(`a code_challenge that is ${name} is pkce_challenge_malformed`, async () => {
      await redirectCase(valid({ code_challenge: value }), "pkce_challenge_malformed", "invalid_request");
    });
  }
});

describe("OIDC Core §6: request objects are not accepted (redirect)", () => {
  it("a request parameter is request_object_unsupported (request_not_supported)", async () => {
    const params = await redirectCase(
      valid({ request: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." }),
      "request_object_unsupported",
      "request_not_supported",
    );
    expect(params.get("error_description")).toContain("request object");
  });
});

describe("RFC 9126 §4: a request_uri replaces the front-channel parameters, and its failures are pages (no redirect_uri is known)", () => {
  it("a request_uri that is not a pushed-request URN (a request object by reference) is request_uri_unsupported, naming it", async () => {
    const html = await expectPage(
      await get(authorizeUrl(t, valid({ request_uri: "https://app.example.test/request.jwt" }))),
      "request_uri_unsupported",
    );
    expect(html).toContain("https://app.example.test/request.jwt");
  });

  it("an empty request_uri is request_uri_unsupported too", async () => {
    await expectPage(await get(authorizeUrl(t, valid({ request_uri: "" }))), "request_uri_unsupported");
  });

  it("a pushed-request URN this server never issued is request_uri_unknown, even with every other parameter valid", async () => {
    const html = await expectPage(
      await get(authorizeUrl(t, valid({ request_uri: "urn:ietf:params:oauth:request_uri:abc" }))),
      "request_uri_unknown",
    );
    expect(html).toContain("urn:ietf:params:oauth:request_uri:abc");
  });
});

describe("Ward limits: optional parameters are bounded (redirect)", () => {
  it("a state longer than 4096 characters is authorize_parameter_invalid and is not echoed", async () => {
    const params = await redirectCase(valid({ state: "s".repeat(4097) }), "authorize_parameter_invalid", "invalid_request", {
      state: null,
    });
    expect(params.get("error_description")).toContain("state");
  });

  it("a state of exactly 4096 characters is accepted", async () => {
    await expectAccepted(await get(authorizeUrl(t, valid({ state: "s".repeat(4096) }))));
  });

  const bounds: [string, number][] = [
    ["nonce", 512],
    ["login_hint", 320],
    ["ui_locales", 200],
    ["scope", 2048],
  ];
  for (const [name, max] of bounds) {
    it(`a ${name} longer than ${max} characters is authorize_parameter_invalid`, async () => {
      const params = await redirectCase(valid({ [name]: "x".repeat(max + 1) }), "authorize_parameter_invalid", "invalid_request");
      expect(params.get("error_description")).toContain(name);
    });
  }
});

describe("RFC 6749 §3.3: scope is space-separated scope-tokens (redirect, scope_malformed)", () => {
  const malformed: [string, string][] = [
    ["a double quote", 'openid "notes:read"'],
    ["a backslash", "openid notes\\read"],
    ["non-ASCII", "openid notes:lire-é"],
    ["a tab separator", "openid\tnotes:read"],
    ["a newline", "openid\nnotes:read"],
  ];
  for (const [name, scope] of malformed) {
    it(`a scope with ${name} is scope_malformed (invalid_scope)`, async () => {
      await redirectCase(valid({ scope }), "scope_malformed", "invalid_scope");
    });
  }

  it("a scope with a NUL byte is refused before any check, on a page (text_nul_character), never redirected", async () => {
    const response = await get(authorizeUrl(t, valid({ scope: "openid\u0000notes:read" })));
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("text_nul_character");
  });

  it("repeated spaces between tokens are accepted", async () => {
    await expectAccepted(await get(authorizeUrl(t, valid({ scope: "openid   notes:read " }))));
  });
});

describe("RFC 8707 §2: resource is one registered absolute URI without fragment (redirect, invalid_target)", () => {
  it("an unknown resource is resource_unknown", async () => {
    await redirectCase(valid({ resource: "https://api.example.test/other" }), "resource_unknown", "invalid_target");
  });

  it("a resource differing by a trailing slash is resource_unknown (byte for byte)", async () => {
    await redirectCase(valid({ resource: `${RESOURCE}/` }), "resource_unknown", "invalid_target");
  });

  it("a resource with a fragment is resource_invalid", async () => {
    await redirectCase(valid({ resource: `${RESOURCE}#part` }), "resource_invalid", "invalid_target");
  });

  it("a relative resource is resource_invalid", async () => {
    await redirectCase(valid({ resource: "/mcp" }), "resource_invalid", "invalid_target");
  });

  it("two resources are resource_invalid (one audience per token)", async () => {
    const url = new URL(authorizeUrl(t, valid()));
    url.searchParams.append("resource", OTHER_RESOURCE);
    await expectRedirect(await get(url.toString()), "resource_invalid", "invalid_target");
  });

  it("a non-OpenID scope without resource that no resource declares is resource_missing", async () => {
    await redirectCase(valid({ resource: undefined, scope: "openid files:read" }), "resource_missing", "invalid_target");
  });

  it("non-OpenID scopes of two different resources without resource are resource_missing", async () => {
    await redirectCase(valid({ resource: undefined, scope: "notes:read calendar:read" }), "resource_missing", "invalid_target");
  });
});

describe("RFC 6749 §3.3 / RFC 7591 §2: scopes must be allowed for the client (redirect, invalid_scope)", () => {
  it("a scope outside the client's registered scope is scope_not_allowed_for_client", async () => {
    await redirectCase(
      valid({ client_id: "narrow-app", redirect_uri: NARROW_REDIRECT, scope: "openid notes:write" }),
      "scope_not_allowed_for_client",
      "invalid_scope",
      { redirectUri: NARROW_REDIRECT },
    );
  });

  it("an OpenID scope outside the client's registered scope is refused too", async () => {
    await redirectCase(
      valid({ client_id: "narrow-app", redirect_uri: NARROW_REDIRECT, scope: "openid email" }),
      "scope_not_allowed_for_client",
      "invalid_scope",
      { redirectUri: NARROW_REDIRECT },
    );
  });

  it("a scope inside the client's registered scope is accepted", async () => {
    await expectAccepted(await get(authorizeUrl(t, valid({ client_id: "narrow-app", redirect_uri: NARROW_REDIRECT }))));
  });
});

describe("RFC 8707 / RFC 9068: scopes must be declared on the resource (redirect, invalid_scope)", () => {
  it("a scope the resource does not declare is scope_not_declared_on_resource", async () => {
    const params = await redirectCase(valid({ scope: "openid notes:delete" }), "scope_not_declared_on_resource", "invalid_scope");
    expect(params.get("error_description")).toContain("notes:delete");
  });

  it("a scope of another resource is scope_not_declared_on_resource", async () => {
    await redirectCase(valid({ scope: "notes:read calendar:read" }), "scope_not_declared_on_resource", "invalid_scope");
  });
});

describe("OIDC Core §3.1.2.1: prompt and max_age (redirect)", () => {
  it("prompt=foo is prompt_invalid", async () => {
    await redirectCase(valid({ prompt: "foo" }), "prompt_invalid", "invalid_request");
  });

  it('prompt="none login" is prompt_invalid (none must be alone)', async () => {
    await redirectCase(valid({ prompt: "none login" }), "prompt_invalid", "invalid_request");
  });

  it('prompt="login consent" is accepted', async () => {
    await expectAccepted(await get(authorizeUrl(t, valid({ prompt: "login consent" }))));
  });

  const maxAges = ["abc", "-1", "1.5", "1e3", "9999999999", " 10", ""];
  for (const maxAge of maxAges) {
    it(`max_age=${JSON.stringify(maxAge)} is authorize_parameter_invalid`, async () => {
      const params = await redirectCase(valid({ max_age: maxAge }), "authorize_parameter_invalid", "invalid_request");
      expect(params.get("error_description")).toContain("max_age");
    });
  }

  it("max_age=0 is accepted", async () => {
    await expectAccepted(await get(authorizeUrl(t, valid({ max_age: "0" }))));
  });
});

describe("OIDC Core §3.1.2.6: prompt=none never shows a page (redirect)", () => {
  it("prompt=none without a session is prompt_none_login_required (login_required)", async () => {
    await redirectCase(valid({ prompt: "none" }), "prompt_none_login_required", "login_required");
  });

  it("prompt=none with a session but new scopes is prompt_none_consent_required, and with max_age=0 login_required (OIDC Core §3.1.2.6)", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const first = await signInAndConsent(browser, authorizeUrl(t, valid()));
    expect(first.redirectParams.get("code")).toBeTruthy();

    const again = await browser.navigate(authorizeUrl(t, valid({ prompt: "none" })));
    expect(again.redirectParams.get("code")).toBeTruthy();
    expect(again.redirectParams.get("iss")).toBe(t.ward.config.server.issuer);

    const wider = await browser.request(authorizeUrl(t, valid({ prompt: "none", scope: "openid notes:read notes:write" })));
    await expectRedirect(wider, "prompt_none_consent_required", "consent_required");

    await new Promise((resolve) => setTimeout(resolve, 20));
    const stale = await browser.request(authorizeUrl(t, valid({ prompt: "none", max_age: "0" })));
    await expectRedirect(stale, "prompt_none_reauthentication_required", "login_required");
  });
});

describe("RFC 6749 §3.1: POST /authorize with a form body works like GET", () => {
  const post = (body: string, contentType?: string) =>
    fetch(`${t.publicUrl}/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: contentType ? { "content-type": contentType } : {},
      body,
    });
  const form = (params: Params) => new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));

  it("a valid form POST goes on to sign-in", async () => {
    await expectAccepted(await post(form(valid()).toString(), "application/x-www-form-urlencoded"));
  });

  it("a form POST with charset goes on to sign-in", async () => {
    await expectAccepted(await post(form(valid()).toString(), "application/x-www-form-urlencoded; charset=UTF-8"));
  });

  it("a form POST failing a redirect check is redirected like GET", async () => {
    await expectRedirect(
      await post(form(valid({ code_challenge_method: "plain" })).toString(), "application/x-www-form-urlencoded"),
      "pkce_method_plain_refused",
      "invalid_request",
    );
  });

  it("a form POST failing a page check is a page like GET", async () => {
    await expectPage(
      await post(form(validWeb({ redirect_uri: `${WEB_REDIRECT}/` })).toString(), "application/x-www-form-urlencoded"),
      "redirect_uri_mismatch",
    );
  });

  it("a form POST with a repeated parameter is authorize_parameter_repeated", async () => {
    await expectPage(
      await post(`${form(valid()).toString()}&client_id=web-app`, "application/x-www-form-urlencoded"),
      "authorize_parameter_repeated",
    );
  });

  it("a POST with a JSON body is unsupported_media_type (415 page, never a redirect)", async () => {
    const response = await post(JSON.stringify(valid()), "application/json");
    const html = await response.text();
    expect(response.status).toBe(415);
    expect(response.headers.get("location")).toBeNull();
    expect(html).toContain("unsupported_media_type");
  });

  it("a POST without a content type is unsupported_media_type (415)", async () => {
    const response = await post(form(valid()).toString());
    expect(response.status).toBe(415);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("unsupported_media_type");
  });

  it("PUT /authorize is method_not_allowed (405) with an Allow header", async () => {
    const response = await fetch(authorizeUrl(t, valid()), { method: "PUT", redirect: "manual" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST");
    expect(((await response.json()) as { code: string }).code).toBe("method_not_allowed");
  });
});
