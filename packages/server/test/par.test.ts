import { randomUUID } from "node:crypto";
import { base32Decode, totp } from "@ward/core";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { NATIVE_REDIRECT, RESOURCE, seedFlowFixtures, signInAndConsent, USER, verifierAndChallenge, WEB_REDIRECT } from "./support/flow.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const URN = "urn:ietf:params:oauth:request_uri:";
/** The clock of the main test Ward: tests move it forward instead of waiting. */
let clock = Date.now();
const t = useTestWard({}, { now: () => clock });
let webSecret: string;
let webConfig: client.Configuration;

type Params = Record<string, string>;

/** A pushed request body that passes every check, for the confidential web-app. */
function pushedParams(overrides: Params = {}): Params {
  return {
    client_id: "web-app",
    response_type: "code",
    redirect_uri: WEB_REDIRECT,
    scope: "openid notes:read",
    resource: RESOURCE,
    code_challenge: verifierAndChallenge().challenge,
    code_challenge_method: "S256",
    state: "pushed-state",
    ...overrides,
  };
}

/** POST /par with a form body (pairs allow repeats); web-app's secret by Basic unless `auth` says otherwise. */
function push(ward: TestWard, body: Params | [string, string][], auth: string | null = `web-app:${webSecret}`): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (auth !== null) headers.authorization = `Basic ${Buffer.from(auth).toString("base64")}`;
  return fetch(`${ward.publicUrl}/par`, { method: "POST", headers, body: new URLSearchParams(body).toString() });
}

/** A successful push: 201 with a URN request_uri and expires_in; returns the request_uri. */
async function pushOk(ward: TestWard, body: Params, auth?: string | null): Promise<string> {
  const response = await push(ward, body, auth);
  const json = (await response.json()) as { request_uri: string; expires_in: number };
  expect(response.status, JSON.stringify(json)).toBe(201);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(json.request_uri.startsWith(URN)).toBe(true);
  expect(json.request_uri.length).toBeGreaterThanOrEqual(URN.length + 43);
  return json.request_uri;
}

const authorizeWith = (ward: TestWard, clientId: string, requestUri: string, extra: Params = {}) =>
  `${ward.publicUrl}/authorize?${new URLSearchParams({ client_id: clientId, request_uri: requestUri, ...extra })}`;

const countRows = async (ward: TestWard, table: "pushed_requests" | "authorization_codes") =>
  Number(
    (
      await ward.ward.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** A 400 HTML error page naming `code`, and no redirect. */
async function expectPage(response: Response, code: string): Promise<string> {
  const html = await response.text();
  expect(response.status, html.slice(0, 600)).toBe(400);
  expect(response.headers.get("location")).toBeNull();
  expect(html).toContain(`/errors/${code}`);
  return html;
}

/** An OAuth JSON error with exactly this catalog code. */
async function expectJsonError(response: Response, status: number, code: string, error: string): Promise<Record<string, string>> {
  const body = (await response.json()) as Record<string, string>;
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.code).toBe(code);
  expect(body.error).toBe(error);
  expect(body.error_uri).toBe(`${t.ward.config.server.issuer}/errors/${code}`);
  return body;
}

const get = (url: string) => fetch(url, { redirect: "manual" });

beforeAll(async () => {
  ({ webSecret } = await seedFlowFixtures(t));
  webConfig = await client.discovery(new URL(t.publicUrl), "web-app", undefined, client.ClientSecretBasic(webSecret), {
    execute: [client.allowInsecureRequests],
  });
});

describe("RFC 9126 with openid-client: the authorization code flow through a pushed request", () => {
  it("pushes with client_secret_basic, sends only client_id and request_uri through the browser, and redeems the code", async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = await client.buildAuthorizationUrlWithPAR(webConfig, {
      redirect_uri: WEB_REDIRECT,
      scope: "openid email notes:read",
      resource: RESOURCE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    expect(url.origin + url.pathname).toBe(`${t.publicUrl}/authorize`);
    expect([...url.searchParams.keys()].sort()).toEqual(["client_id", "request_uri"]);
    expect(url.searchParams.get("request_uri")?.startsWith(URN)).toBe(true);

    const page = await signInAndConsent(new TestBrowser(t.publicUrl), url.toString());
    const callback = new URL(page.left as string);
    expect(callback.origin + callback.pathname).toBe(WEB_REDIRECT);
    expect(callback.searchParams.get("iss")).toBe(t.publicUrl);
    const tokens = await client.authorizationCodeGrant(
      webConfig,
      callback,
      { pkceCodeVerifier: verifier, expectedState: state },
      { resource: RESOURCE },
    );
    expect(tokens.scope).toBe("openid email notes:read");
    expect(tokens.claims()?.email).toBe(USER.email);
    const access = JSON.parse(Buffer.from(tokens.access_token.split(".")[1] as string, "base64url").toString());
    expect(access).toMatchObject({ aud: RESOURCE, client_id: "web-app" });
  });

  it("accepts a public client pushing with client_id alone (§2), and ignores other front-channel parameters (§4)", async () => {
    const { verifier, challenge } = verifierAndChallenge();
    const requestUri = await pushOk(
      t,
      pushedParams({ client_id: "cli-app", redirect_uri: NATIVE_REDIRECT, code_challenge: challenge, state: "from-the-push" }),
      null,
    );
    const page = await signInAndConsent(
      new TestBrowser(t.publicUrl),
      authorizeWith(t, "cli-app", requestUri, { redirect_uri: "http://127.0.0.1/evil", state: "from-the-url", scope: "openid" }),
    );
    const callback = new URL(page.left as string);
    expect(callback.origin + callback.pathname).toBe(NATIVE_REDIRECT);
    expect(callback.searchParams.get("state")).toBe("from-the-push");
    const response = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: "cli-app",
        code: callback.searchParams.get("code") as string,
        redirect_uri: NATIVE_REDIRECT,
        code_verifier: verifier,
        resource: RESOURCE,
      }),
    });
    const body = (await response.json()) as { scope: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.scope).toBe("openid notes:read");
  });

  it("stores only the hash of the request_uri, and no client authentication", async () => {
    const requestUri = await pushOk(t, pushedParams({ state: "hash-check" }));
    const rows = await t.ward.database.db.selectFrom("pushed_requests").selectAll().execute();
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(requestUri.slice(URN.length));
    expect(stored).not.toContain(webSecret);
    expect(rows.some((row) => row.parameters.includes("hash-check") && row.client_id === "web-app")).toBe(true);
  });
});

describe("RFC 9126 §4: the hosted pages continue a pushed request", () => {
  it("runs sign-in, the two-factor step and consent on the pushed parameters, then redeems the code", async () => {
    const grace = { email: "grace@example.com", password: "another long passphrase here", name: "Grace Hopper" };
    expect((await t.admin("/admin/v1/users", { body: grace })).status).toBe(201);
    const setup = new TestBrowser(t.publicUrl);
    const account = await setup.submit(await setup.navigate("/account"), { email: grace.email, password: grace.password }, "Sign in");
    const enrol = await setup.submit(account, {}, "Set up two-factor authentication");
    const secret = base32Decode(/id="setup-key">([A-Z2-7]+)</.exec(enrol.html)?.[1] as string);
    expect((await setup.submit(enrol, { code: totp(secret, clock) }, "Verify")).html).toContain("Two-factor authentication is on.");

    const { verifier, challenge } = verifierAndChallenge();
    const requestUri = await pushOk(
      t,
      pushedParams({ client_id: "cli-app", redirect_uri: NATIVE_REDIRECT, code_challenge: challenge, state: "with-2fa" }),
      null,
    );
    const browser = new TestBrowser(t.publicUrl);
    const login = await browser.navigate(authorizeWith(t, "cli-app", requestUri));
    expect(login.title).toBe("Sign in");
    const second = await browser.submit(login, { email: grace.email, password: grace.password }, "Sign in");
    expect(second.title).toBe("Two-factor authentication");
    const consent = await browser.submit(second, { code: totp(secret, clock + 30_000) }, "Verify");
    expect(consent.title).toMatch(/^Allow /);
    const back = await browser.submit(consent, {}, "Allow");
    const callback = new URL(back.left as string);
    expect(callback.searchParams.get("state")).toBe("with-2fa");
    const response = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: "cli-app",
        code: callback.searchParams.get("code") as string,
        redirect_uri: NATIVE_REDIRECT,
        code_verifier: verifier,
      }),
    });
    const tokens = (await response.json()) as { id_token: string };
    expect(response.status, JSON.stringify(tokens)).toBe(200);
    expect(JSON.parse(Buffer.from(tokens.id_token.split(".")[1] as string, "base64url").toString()).amr).toEqual(["pwd", "otp", "mfa"]);
  });

  it("an expired sign-in page of a pushed request offers no restart link (the request_uri was single use)", async () => {
    const requestUri = await pushOk(t, pushedParams());
    const browser = new TestBrowser(t.publicUrl);
    const login = await browser.navigate(authorizeWith(t, "web-app", requestUri));
    expect(login.title).toBe("Sign in");
    clock += t.ward.config.login.interaction_ttl * 1000 + 1000;
    try {
      const expired = await browser.submit(login, { email: USER.email, password: USER.password }, "Sign in");
      expect(expired.html).toContain("/errors/authorization_session_expired");
      expect(expired.html).not.toContain("Start signing in again");
      expect(expired.html).not.toContain("request_uri");
    } finally {
      clock = Date.now();
    }
  });
});

describe("RFC 9126 §4: a request_uri is single use, short-lived and bound to its client", () => {
  it("a reused request_uri is request_uri_reused, shown as a page, and no second code is issued", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const requestUri = await pushOk(t, pushedParams({ client_id: "cli-app", redirect_uri: NATIVE_REDIRECT }), null);
    const first = await signInAndConsent(browser, authorizeWith(t, "cli-app", requestUri));
    expect(new URL(first.left as string).searchParams.get("code")).toBeTruthy();
    const codes = await countRows(t, "authorization_codes");
    // The same browser is signed in and has consented: without the single-use rule it would get a code at once.
    const again = await browser.request(authorizeWith(t, "cli-app", requestUri));
    const html = await expectPage(again, "request_uri_reused");
    expect(html).toContain("cli-app");
    expect(await countRows(t, "authorization_codes")).toBe(codes);
  });

  it("an expired request_uri is request_uri_expired, naming its age and par.request_uri_ttl; a fresh one still works", async () => {
    expect(t.ward.config.par.request_uri_ttl).toBe(60);
    const stale = await pushOk(t, pushedParams());
    const fresh = await pushOk(t, pushedParams());
    clock += 59_000;
    try {
      const accepted = await get(authorizeWith(t, "web-app", fresh));
      expect(accepted.status).toBe(303);
      expect(accepted.headers.get("location")).toMatch(/^\/interaction\//);
      clock += 2_000;
      const html = await expectPage(await get(authorizeWith(t, "web-app", stale)), "request_uri_expired");
      expect(html).toContain("par.request_uri_ttl");
      expect(html).toContain("61 seconds old and lasts 60 seconds");
    } finally {
      clock = Date.now();
    }
  });

  it("a request_uri of another client is request_uri_client_mismatch and stays usable by its owner", async () => {
    const requestUri = await pushOk(t, pushedParams());
    const html = await expectPage(await get(authorizeWith(t, "cli-app", requestUri)), "request_uri_client_mismatch");
    expect(html).toContain("web-app");
    expect(html).toContain("cli-app");
    const owner = await get(authorizeWith(t, "web-app", requestUri));
    expect(owner.status).toBe(303);
    expect(owner.headers.get("location")).toMatch(/^\/interaction\//);
  });

  it("a request_uri without client_id is authorize_client_id_missing, and its unknown client authorize_client_unknown", async () => {
    const requestUri = await pushOk(t, pushedParams());
    await expectPage(
      await get(`${t.publicUrl}/authorize?${new URLSearchParams({ request_uri: requestUri })}`),
      "authorize_client_id_missing",
    );
    await expectPage(await get(authorizeWith(t, "nobody", requestUri)), "authorize_client_unknown");
  });
});

describe("RFC 9126 §2.1 / §2.3: bad pushed requests are JSON errors and store nothing", () => {
  const cases: [string, Params | [string, string][], string, string][] = [
    ["a request_uri inside the push", pushedParams({ request_uri: `${URN}abc` }), "request_uri_in_pushed_request", "invalid_request"],
    ["a request object", pushedParams({ request: "eyJhbGciOiJub25lIn0.e30." }), "request_object_unsupported", "request_not_supported"],
    ["an unregistered redirect_uri", pushedParams({ redirect_uri: `${WEB_REDIRECT}/` }), "redirect_uri_mismatch", "invalid_request"],
    ["no redirect_uri", pushedParams({ redirect_uri: "" }), "redirect_uri_missing", "invalid_request"],
    ["no code_challenge", pushedParams({ code_challenge: "" }), "pkce_challenge_missing", "invalid_request"],
    ["code_challenge_method plain", pushedParams({ code_challenge_method: "plain" }), "pkce_method_plain_refused", "invalid_request"],
    ["response_type token", pushedParams({ response_type: "token" }), "response_type_unsupported", "unsupported_response_type"],
    ["an unknown resource", pushedParams({ resource: "https://unknown.example.test/" }), "resource_unknown", "invalid_target"],
    ["an invalid prompt", pushedParams({ prompt: "none login" }), "prompt_invalid", "invalid_request"],
    [
      "a repeated parameter",
      [...Object.entries(pushedParams()), ["scope", "openid"]] as [string, string][],
      "authorize_parameter_repeated",
      "invalid_request",
    ],
  ];
  for (const [name, body, code, error] of cases) {
    it(`${name} is ${code}`, async () => {
      const before = await countRows(t, "pushed_requests");
      const response = await push(t, body);
      expect(response.headers.get("location")).toBeNull();
      await expectJsonError(response, 400, code, error);
      expect(await countRows(t, "pushed_requests")).toBe(before);
    });
  }

  it("a confidential client without its secret is client_authentication_missing (401 with a challenge); a wrong one client_secret_invalid", async () => {
    const before = await countRows(t, "pushed_requests");
    const missing = await push(t, pushedParams(), null);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    await expectJsonError(missing, 401, "client_authentication_missing", "invalid_client");
    await expectJsonError(await push(t, pushedParams(), "web-app:wrong-secret"), 401, "client_secret_invalid", "invalid_client");
    await expectJsonError(await push(t, pushedParams({ client_id: "nobody" }), null), 401, "client_unknown", "invalid_client");
    expect(await countRows(t, "pushed_requests")).toBe(before);
  });

  it("a client_id in the body that differs from the Basic credentials is refused", async () => {
    await expectJsonError(await push(t, pushedParams({ client_id: "cli-app" })), 401, "client_basic_auth_malformed", "invalid_client");
  });

  it("private_key_jwt (RFC 9126 §2): an assertion whose aud is the PAR endpoint is accepted at /par, and refused at /token", async () => {
    clock = Date.now();
    const keys = await generateKeyPair("ES256");
    const created = await t.admin("/admin/v1/clients", {
      body: {
        client_id: "jwt-pusher",
        redirect_uris: [WEB_REDIRECT],
        token_endpoint_auth_method: "private_key_jwt",
        jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256" }] },
      },
    });
    expect(created.status).toBe(201);
    const assertion = () =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer("jwt-pusher")
        .setSubject("jwt-pusher")
        .setAudience(`${t.publicUrl}/par`)
        .setIssuedAt()
        .setExpirationTime("1m")
        .setJti(randomUUID())
        .sign(keys.privateKey);
    const authentication = async () => ({
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: await assertion(),
    });
    await pushOk(t, pushedParams({ client_id: "jwt-pusher", ...(await authentication()) }), null);
    const token = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: "jwt-pusher", code: "x", ...(await authentication()) }),
    });
    const body = await expectJsonError(token, 401, "client_assertion_invalid", "invalid_client");
    expect(body.error_description).toContain("aud");
  });

  it("GET /par is method_not_allowed", async () => {
    const response = await fetch(`${t.publicUrl}/par`);
    expect(response.status).toBe(405);
  });
});

describe("RFC 9126 §6: require_pushed_authorization_requests on a client", () => {
  beforeAll(async () => {
    const response = await t.admin("/admin/v1/clients", {
      body: {
        client_id: "par-only",
        redirect_uris: [WEB_REDIRECT],
        token_endpoint_auth_method: "none",
        require_pushed_authorization_requests: true,
      },
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(body.require_pushed_authorization_requests).toBe(true);
  });

  it("a front-channel request is redirected to the registered redirect_uri with pushed_authorization_required", async () => {
    const response = await get(
      `${t.publicUrl}/authorize?${new URLSearchParams({ ...pushedParams({ client_id: "par-only", state: "s1" }) })}`,
    );
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location") as string);
    expect(location.origin + location.pathname).toBe(WEB_REDIRECT);
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_uri")).toBe(`${t.publicUrl}/errors/pushed_authorization_required`);
    expect(location.searchParams.get("error_description")).toContain("require_pushed_authorization_requests");
    expect(location.searchParams.get("state")).toBe("s1");
  });

  it("the same request pushed first is accepted", async () => {
    const requestUri = await pushOk(t, pushedParams({ client_id: "par-only" }), null);
    const response = await get(authorizeWith(t, "par-only", requestUri));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toMatch(/^\/interaction\//);
  });

  it("is an admin field: it can be turned off, and a non-boolean is admin_invalid_body", async () => {
    const bad = await t.admin("/admin/v1/clients/par-only", { method: "PATCH", body: { require_pushed_authorization_requests: "yes" } });
    const problem = (await bad.json()) as { code: string; fields: { field: string }[] };
    expect(bad.status).toBe(400);
    expect(problem.code).toBe("admin_invalid_body");
    expect(problem.fields.map((f) => f.field)).toEqual(["require_pushed_authorization_requests"]);
    expect(
      ((await (await t.admin("/admin/v1/clients/par-only")).json()) as Record<string, unknown>).require_pushed_authorization_requests,
    ).toBe(true);
    const off = await t.admin("/admin/v1/clients/par-only", { method: "PATCH", body: { require_pushed_authorization_requests: false } });
    expect(((await off.json()) as Record<string, unknown>).require_pushed_authorization_requests).toBe(false);
    const front = await get(`${t.publicUrl}/authorize?${new URLSearchParams(pushedParams({ client_id: "par-only" }))}`);
    expect(front.headers.get("location")).toMatch(/^\/interaction\//);
  });

  it("other clients keep the front channel (default false)", async () => {
    const cli = (await (await t.admin("/admin/v1/clients/cli-app")).json()) as Record<string, unknown>;
    expect(cli.require_pushed_authorization_requests).toBe(false);
  });
});

describe("RFC 9126 §5: par.required for every client", () => {
  let strict: TestWard;
  beforeAll(async () => {
    strict = await startTestWard({ par: { required: true } });
    await seedFlowFixtures(strict);
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it("is advertised as require_pushed_authorization_requests, and refuses the front channel with pushed_authorization_required", async () => {
    const metadata = (await (await fetch(`${strict.publicUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata.require_pushed_authorization_requests).toBe(true);
    const { challenge } = verifierAndChallenge();
    const response = await get(
      `${strict.publicUrl}/authorize?${new URLSearchParams(pushedParams({ client_id: "cli-app", redirect_uri: NATIVE_REDIRECT, code_challenge: challenge }))}`,
    );
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location") as string);
    expect(location.origin + location.pathname).toBe(NATIVE_REDIRECT);
    expect(location.searchParams.get("error_uri")).toBe(`${strict.publicUrl}/errors/pushed_authorization_required`);
    expect(location.searchParams.get("error_description")).toContain("par.required");
    expect(location.searchParams.has("code")).toBe(false);
  });

  it("accepts a pushed request", async () => {
    const requestUri = await pushOk(strict, pushedParams({ client_id: "cli-app", redirect_uri: NATIVE_REDIRECT }), null);
    const response = await get(authorizeWith(strict, "cli-app", requestUri));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toMatch(/^\/interaction\//);
  });
});
