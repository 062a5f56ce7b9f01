import { decodeJwt } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../src/crypto/tokens.js";
import { TestBrowser } from "./support/browser.js";
import {
  DEVICE_GRANT,
  enterCode,
  expectNoLostSlowDown,
  poll,
  postAsClient,
  reachDeviceConsent,
  seedDeviceClients,
  startDevice,
} from "./support/device.js";
import { RESOURCE, seedFlowFixtures, USER } from "./support/flow.js";
import { startTestWard, type TestWard } from "./support/ward.js";

/** The server's clock runs `offset` ms ahead of the real one: tests move it instead of waiting. */
let offset = 0;
const now = () => Date.now() + offset;

const deviceRows = (t: TestWard) => t.ward.database.db.selectFrom("device_codes").selectAll().execute();
const rowOf = async (t: TestWard, deviceCode: string) =>
  (await deviceRows(t)).find((row) => row.device_code_hash === hashSecret(deviceCode));

describe("RFC 8628 device authorization grant", () => {
  let t: TestWard;
  let boxSecret: string;
  beforeAll(async () => {
    t = await startTestWard({ grants: { device_code: true }, device: { interval: 1, user_code_attempts: 1000 } }, { now });
    await seedFlowFixtures(t);
    ({ boxSecret } = await seedDeviceClients(t));
  });
  afterAll(() => t.stop());

  it("§3.1-3.5 with openid-client: the device polls while the user enters the code, signs in and allows", async () => {
    const config = await client.discovery(new URL(t.publicUrl), "tv-app", undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${t.publicUrl}/device_authorization`);
    expect(config.serverMetadata().grant_types_supported).toContain(DEVICE_GRANT);
    const device = await client.initiateDeviceAuthorization(config, { scope: "openid offline_access notes:read", resource: RESOURCE });
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(device.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(device).toMatchObject({
      verification_uri: `${t.publicUrl}/device`,
      verification_uri_complete: `${t.publicUrl}/device?user_code=${device.user_code}`,
      expires_in: 600,
      interval: 1,
    });
    expect((await rowOf(t, device.device_code))?.user_code_hash).toBe(hashSecret(device.user_code.replace("-", "")));
    const polling = client.pollDeviceAuthorizationGrant(config, device);

    const browser = new TestBrowser(t.publicUrl);
    const prefilled = await browser.navigate(device.verification_uri_complete as string);
    expect(prefilled.title).toBe("Connect a device");
    expect(prefilled.html).toContain(`value="${device.user_code}"`);
    let page = await browser.submit(prefilled, { user_code: device.user_code.toLowerCase().replace("-", " ") }, "Continue");
    page = await browser.submit(page, { email: USER.email, password: USER.password }, "Sign in");
    expect(page.title).toBe("Allow Notes on TV?");
    expect(page.html).toContain("A device is asking");
    expect(page.html).toContain("notes:read");
    page = await browser.submit(page, {}, "Allow");
    expect(page.title).toBe("Device connected");
    expect(page.html).toContain("continue on your device");

    const tokens = await polling;
    expect(tokens.refresh_token).toBeDefined();
    expect(tokens.id_token).toBeDefined();
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: RESOURCE, client_id: "tv-app", scope: "openid offline_access notes:read" });
    expect(tokens.claims()?.sub).toBe(decodeJwt(tokens.access_token).sub);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.access_token).toBeDefined();

    const again = await poll(t, device.device_code);
    expect(again).toMatchObject({ status: 400, body: { error: "invalid_grant", code: "device_code_already_redeemed" } });
    const audit = (await (await t.admin("/admin/v1/audit-events?limit=50")).json()) as { audit_events: { type: string }[] };
    expect(audit.audit_events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["device_code.issued", "device_code.approved", "token.issued"]),
    );
  });

  it("§3.5: authorization_pending while the user has not decided; slow_down adds 5 seconds each time", async () => {
    const device = await startDevice(t);
    expect(await poll(t, device.device_code)).toMatchObject({
      status: 400,
      body: { error: "authorization_pending", code: "device_authorization_pending" },
    });
    const fast = await poll(t, device.device_code);
    expect(fast).toMatchObject({ status: 400, body: { error: "slow_down", code: "device_slow_down" } });
    expect(fast.body.error_description).toBe("Poll at most every 6 seconds.");
    offset += 3000;
    const stillFast = await poll(t, device.device_code);
    expect(stillFast.body.error_description).toBe("Poll at most every 11 seconds.");
    offset += 11_000;
    expect((await poll(t, device.device_code)).body.code).toBe("device_authorization_pending");
    expect((await rowOf(t, device.device_code))?.poll_interval).toBe(11);
  });

  it("a slow_down added by a parallel poll between another poll's read and its write is kept (no lost update)", async () => {
    await expectNoLostSlowDown(t);
  });

  it("the verification_uri_complete link only fills the code in: nothing is approved before Continue", async () => {
    const device = await startDevice(t);
    const browser = new TestBrowser(t.publicUrl);
    const page = await browser.navigate(device.verification_uri_complete);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<label for="user_code">Code</label>');
    expect((await rowOf(t, device.device_code))?.status).toBe("pending");
    expect((await poll(t, device.device_code)).body.code).toBe("device_authorization_pending");
  });

  it("consent is asked even when the user allowed this client before (a phished code must not approve silently)", async () => {
    const first = await startDevice(t);
    const browser = new TestBrowser(t.publicUrl);
    expect((await browser.submit(await reachDeviceConsent(t, first.user_code, browser), {}, "Allow")).title).toBe("Device connected");
    const second = await startDevice(t);
    const page = await enterCode(browser, second.user_code);
    expect(page.title).toBe("Allow Notes on TV?");
    expect((await rowOf(t, second.device_code))?.status).toBe("pending");
  });

  it("Deny: the device gets access_denied, and the code cannot be entered again", async () => {
    const device = await startDevice(t);
    const browser = new TestBrowser(t.publicUrl);
    const page = await browser.submit(await reachDeviceConsent(t, device.user_code, browser), {}, "Deny");
    expect(page.title).toBe("Device not connected");
    expect(await poll(t, device.device_code)).toMatchObject({
      status: 400,
      body: { error: "access_denied", code: "device_access_denied" },
    });
    const again = await enterCode(new TestBrowser(t.publicUrl), device.user_code);
    expect(again.status).toBe(400);
    expect(again.html).toContain("does not match a pending device request");
  });

  it("a code is decided by one approval: a second browser that reached consent too gets an error, not a second grant", async () => {
    const device = await startDevice(t);
    const [one, two] = [new TestBrowser(t.publicUrl), new TestBrowser(t.publicUrl)];
    const consentOne = await reachDeviceConsent(t, device.user_code, one);
    const consentTwo = await reachDeviceConsent(t, device.user_code, two);
    expect((await one.submit(consentOne, {}, "Allow")).title).toBe("Device connected");
    const late = await two.submit(consentTwo, {}, "Deny");
    expect(late.status).toBe(400);
    expect(late.html).toContain("device_user_code_invalid");
    expect((await rowOf(t, device.device_code))?.status).toBe("approved");
  });

  it("expired_token once the code's lifetime has passed; the page refuses the code too", async () => {
    const device = await startDevice(t);
    offset += 601_000;
    expect(await poll(t, device.device_code)).toMatchObject({ status: 400, body: { error: "expired_token", code: "device_code_expired" } });
    const page = await enterCode(new TestBrowser(t.publicUrl), device.user_code);
    expect(page.status).toBe(400);
    expect(page.html).toContain("does not match a pending device request");
  });

  it("a wrong or malformed code is a page error naming the code; the pending request is untouched", async () => {
    const device = await startDevice(t);
    const before = await rowOf(t, device.device_code);
    for (const typed of ["BCDF-GHJK", "hello", "AAAA-AAAA"]) {
      const page = await enterCode(new TestBrowser(t.publicUrl), typed);
      expect(page.status).toBe(400);
      expect(page.title).toBe("Connect a device");
      expect(page.html).toContain("does not match a pending device request");
      expect(page.html).toContain(typed);
    }
    expect(await rowOf(t, device.device_code)).toEqual(before);
  });

  it("the device code is bound to its client: another client polling with it is refused, the owner can still use it", async () => {
    const device = await startDevice(t);
    const stolen = await poll(t, device.device_code, { id: "set-top-box", secret: boxSecret });
    expect(stolen).toMatchObject({ status: 400, body: { error: "invalid_grant", code: "device_code_client_mismatch" } });
    expect(stolen.body.error_description).toContain("tv-app");
    expect((await poll(t, device.device_code)).body.code).toBe("device_authorization_pending");
    expect((await poll(t, "x".repeat(43))).body.code).toBe("device_code_invalid");
    expect((await postAsClient(t, "/token", { grant_type: DEVICE_GRANT }).then((r) => r.json())) as object).toMatchObject({
      code: "token_parameter_missing",
    });
  });

  it("a confidential client authenticates at /device_authorization as at /token", async () => {
    const wrong = await postAsClient(t, "/device_authorization", { scope: "notes:read" }, { id: "set-top-box", secret: "nope" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: "invalid_client", code: "client_secret_invalid" });
    const anonymous = await postAsClient(t, "/device_authorization", { scope: "notes:read" }, { id: "set-top-box" });
    expect(await anonymous.json()).toMatchObject({ error: "invalid_client", code: "client_authentication_missing" });
    const device = await startDevice(t, { scope: "notes:read" }, { id: "set-top-box", secret: boxSecret });
    expect((await poll(t, device.device_code, { id: "set-top-box", secret: boxSecret })).body.code).toBe("device_authorization_pending");
  });

  it("refuses clients not registered for the grant, and scopes or resources /authorize would refuse; nothing is stored", async () => {
    const before = (await deviceRows(t)).length;
    const cases: [Record<string, string>, { id: string; secret?: string }, number, string, string][] = [
      [{ scope: "notes:read" }, { id: "cli-app" }, 400, "unauthorized_client", "grant_type_not_allowed_for_client"],
      [{ scope: "notes:delete" }, { id: "tv-app" }, 400, "invalid_target", "resource_missing"],
      [{ scope: "notes:delete", resource: RESOURCE }, { id: "tv-app" }, 400, "invalid_scope", "scope_not_declared_on_resource"],
      [{ scope: "notes:read", resource: "https://api.example.test/other" }, { id: "tv-app" }, 400, "invalid_target", "resource_unknown"],
      [{ scope: "bad\u0001scope" }, { id: "tv-app" }, 400, "invalid_scope", "scope_malformed"],
      [{ scope: "notes:read" }, { id: "nobody" }, 401, "invalid_client", "client_unknown"],
    ];
    for (const [form, who, status, error, code] of cases) {
      const response = await postAsClient(t, "/device_authorization", form, who);
      expect([response.status, await response.json()], JSON.stringify(form)).toMatchObject([status, { error, code }]);
    }
    const repeated = await fetch(`${t.publicUrl}/device_authorization`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "client_id=tv-app&scope=a&scope=b",
    });
    expect(await repeated.json()).toMatchObject({ code: "token_parameter_repeated" });
    expect((await deviceRows(t)).length).toBe(before);
  });

  it("the page's form is CSRF-protected and only GET and POST are served", async () => {
    const device = await startDevice(t);
    const browser = new TestBrowser(t.publicUrl);
    await browser.navigate("/device");
    const forged = await browser.request("/device", { form: { user_code: device.user_code } });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("csrf_token_invalid");
    expect((await rowOf(t, device.device_code))?.status).toBe("pending");
    expect((await fetch(`${t.publicUrl}/device`, { method: "PUT" })).status).toBe(405);
    expect((await fetch(`${t.publicUrl}/device_authorization`)).status).toBe(405);
  });
});

describe("malformed input on the device endpoints: < 500, the exact catalog code, HTML on the page, nothing stored", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard({ grants: { device_code: true }, device: { user_code_attempts: 1000 } });
    await seedFlowFixtures(t);
    await seedDeviceClients(t);
  });
  afterAll(() => t.stop());

  const FORM = { "content-type": "application/x-www-form-urlencoded" };
  const cases: { name: string; path: string; init: RequestInit; status: number; code: string; html: boolean }[] = [
    {
      name: "/device_authorization: JSON body",
      path: "/device_authorization",
      init: { method: "POST", headers: { "content-type": "application/json" }, body: '{"client_id":"tv-app"}' },
      status: 415,
      code: "unsupported_media_type",
      html: false,
    },
    {
      name: "/device_authorization: body of 100 KB",
      path: "/device_authorization",
      init: { method: "POST", headers: FORM, body: `client_id=tv-app&scope=${"s".repeat(100 * 1024)}` },
      status: 413,
      code: "body_too_large",
      html: false,
    },
    {
      name: "/device_authorization: scope of 3 KB",
      path: "/device_authorization",
      init: { method: "POST", headers: FORM, body: `client_id=tv-app&scope=${"s".repeat(3 * 1024)}` },
      status: 400,
      code: "token_parameter_invalid",
      html: false,
    },
    {
      name: "/device_authorization: NUL in the form",
      path: "/device_authorization",
      init: { method: "POST", headers: FORM, body: "client_id=tv-app&scope=notes%00read" },
      status: 400,
      code: "text_nul_character",
      html: false,
    },
    {
      name: "/token: device_code of 10 KB",
      path: "/token",
      init: {
        method: "POST",
        headers: FORM,
        body: `client_id=tv-app&grant_type=${encodeURIComponent(DEVICE_GRANT)}&device_code=${"d".repeat(10 * 1024)}`,
      },
      status: 400,
      code: "token_parameter_invalid",
      html: false,
    },
    { name: "/device: NUL in the URL", path: "/device?user_code=%00", init: {}, status: 400, code: "text_nul_character", html: true },
    {
      name: "/device: JSON body",
      path: "/device",
      init: { method: "POST", headers: { "content-type": "application/json" }, body: '{"user_code":"BCDF-GHJK"}' },
      status: 415,
      code: "unsupported_media_type",
      html: true,
    },
    {
      name: "/device: POST without the page's cookie",
      path: "/device",
      init: { method: "POST", headers: FORM, body: "user_code=BCDF-GHJK&csrf=forged" },
      status: 403,
      code: "csrf_token_invalid",
      html: true,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const before = await deviceRows(t);
      const response = await fetch(`${t.publicUrl}${c.path}`, c.init);
      const text = await response.text();
      expect(response.status, text.slice(0, 400)).toBe(c.status);
      expect(response.headers.get("content-type")).toContain(c.html ? "text/html" : "application/json");
      expect(text).toContain(c.code);
      expect(text).not.toMatch(/\n\s+at /);
      expect(await deviceRows(t)).toEqual(before);
    });
  }

  it("/device: a code of 10 KB or with markup is a page error, escaped, and counts as one entry", async () => {
    const browser = new TestBrowser(t.publicUrl);
    const long = await enterCode(browser, "B".repeat(10 * 1024));
    expect(long.status).toBe(400);
    expect(long.html).toContain("does not match a pending device request");
    const markup = await browser.navigate('/device?user_code=<script>alert(1)</script>"');
    expect(markup.status).toBe(200);
    expect(markup.html).not.toContain("<script>");
    expect(markup.html).toContain("&lt;script&gt;");
  });
});

describe("RFC 8628 §5.1: user-code guessing is rate limited", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard({ grants: { device_code: true }, device: { user_code_attempts: 3 } });
    await seedFlowFixtures(t);
    await seedDeviceClients(t);
  });
  afterAll(() => t.stop());

  it("after device.user_code_attempts entries the address is paused (429, Retry-After), even for a right code in a new browser", async () => {
    const device = await startDevice(t);
    for (let i = 0; i < 3; i++) expect((await enterCode(new TestBrowser(t.publicUrl), "BCDF-GHJK")).status).toBe(400);
    const locked = await enterCode(new TestBrowser(t.publicUrl), device.user_code);
    expect(locked.status).toBe(429);
    expect(locked.response.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(locked.html).toContain("Code entry from this network address is paused");
    expect(await poll(t, device.device_code)).toMatchObject({ body: { code: "device_authorization_pending" } });
  });
});

describe("device grant off by default (grants.device_code: false)", () => {
  let t: TestWard;
  beforeAll(async () => {
    t = await startTestWard();
    await seedFlowFixtures(t);
    await seedDeviceClients(t);
  });
  afterAll(() => t.stop());

  it("answers grant_type_disabled at /device_authorization, /token and /device; discovery does not advertise it", async () => {
    const started = await postAsClient(t, "/device_authorization", { scope: "notes:read" });
    expect(started.status).toBe(400);
    const body = (await started.json()) as { code: string; error: string; error_description: string };
    expect(body).toMatchObject({ error: "unsupported_grant_type", code: "grant_type_disabled" });
    expect(body.error_description).toContain("grants.device_code");
    expect((await poll(t, "x".repeat(43))).body.code).toBe("grant_type_disabled");
    const page = await fetch(`${t.publicUrl}/device`);
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("grant_type_disabled");
    const metadata = (await (await fetch(`${t.publicUrl}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.device_authorization_endpoint).toBeUndefined();
    expect(metadata.grant_types_supported).toEqual(["authorization_code", "refresh_token"]);
    expect(await t.ward.database.db.selectFrom("device_codes").selectAll().execute()).toEqual([]);
  });
});
