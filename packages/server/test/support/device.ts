import { expect } from "vitest";
import { hashSecret } from "../../src/crypto/tokens.js";
import { getDeviceCode, lengthenInterval, recordPoll } from "../../src/store/device-codes.js";
import { DEFAULT_TENANT } from "../../src/store/schema.js";
import { type Page, TestBrowser } from "./browser.js";
import { USER } from "./flow.js";
import type { TestWard } from "./ward.js";

export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** A public TV app and a confidential set-top box, both registered for the device grant (no redirect URIs). */
export async function seedDeviceClients(t: TestWard): Promise<{ boxSecret: string }> {
  const tv = await t.admin("/admin/v1/clients", {
    body: {
      client_id: "tv-app",
      client_name: "Notes on TV",
      grant_types: [DEVICE_GRANT, "refresh_token"],
      token_endpoint_auth_method: "none",
    },
  });
  expect(tv.status, await tv.clone().text()).toBe(201);
  const box = await t.admin("/admin/v1/clients", {
    body: {
      client_id: "set-top-box",
      client_name: "Set-top box",
      grant_types: [DEVICE_GRANT],
      token_endpoint_auth_method: "client_secret_basic",
    },
  });
  const created = (await box.json()) as { client_secret: string };
  expect(box.status, JSON.stringify(created)).toBe(201);
  return { boxSecret: created.client_secret };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

/** POSTs a form to a public endpoint as `client` (client_id alone, or Basic with a secret). */
export function postAsClient(
  t: TestWard,
  path: string,
  form: Record<string, string>,
  client: { id: string; secret?: string } = { id: "tv-app" },
) {
  const headers: Record<string, string> = {};
  const body = new URLSearchParams(form);
  if (client.secret) headers.authorization = basic(client.id, client.secret);
  else body.set("client_id", client.id);
  return fetch(`${t.publicUrl}${path}`, { method: "POST", headers, body });
}

/** Starts a device authorization; expects 200. */
export async function startDevice(
  t: TestWard,
  form: Record<string, string> = { scope: "notes:read" },
  client?: { id: string; secret?: string },
): Promise<DeviceAuthorization> {
  const response = await postAsClient(t, "/device_authorization", form, client);
  const body = (await response.json()) as DeviceAuthorization;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** One poll of /token with the device code: status and body. */
export async function poll(t: TestWard, deviceCode: string, client?: { id: string; secret?: string }) {
  const response = await postAsClient(t, "/token", { grant_type: DEVICE_GRANT, device_code: deviceCode }, client);
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** Types `code` on /device and presses Continue; returns the page that follows (sign-in, consent or an error). */
export async function enterCode(browser: TestBrowser, code: string): Promise<Page> {
  const page = await browser.navigate("/device");
  expect(page.title).toBe("Connect a device");
  return browser.submit(page, { user_code: code }, "Continue");
}

/** Enters the code, signs in as USER when asked and stops on the consent page. */
export async function reachDeviceConsent(t: TestWard, code: string, browser = new TestBrowser(t.publicUrl)): Promise<Page> {
  let page = await enterCode(browser, code);
  if (page.title === "Sign in") page = await browser.submit(page, { email: USER.email, password: USER.password }, "Sign in");
  expect(page.title, page.html.slice(0, 1500)).toMatch(/^Allow /);
  return page;
}

/**
 * Replays, through the store functions, the interleaving that lost a slow_down under parallel polls:
 * poll A records its poll; poll C reads the code (too soon); poll B, which lost A's compare-and-set,
 * adds 5 s; then C records its poll with its slow_down. Both increments must be kept.
 */
export async function expectNoLostSlowDown(t: TestWard): Promise<void> {
  const { device_code } = await startDevice(t);
  const db = t.ward.database.db;
  const hash = hashSecret(device_code);
  const initial = (await getDeviceCode(db, DEFAULT_TENANT, { device_code_hash: hash }))?.poll_interval ?? Number.NaN;
  expect(await recordPoll(db, DEFAULT_TENANT, hash, null, 1_000, 0)).toBe(initial);
  const seenByC = await getDeviceCode(db, DEFAULT_TENANT, { device_code_hash: hash });
  expect(await lengthenInterval(db, DEFAULT_TENANT, hash, 5)).toBe(initial + 5);
  expect(await recordPoll(db, DEFAULT_TENANT, hash, seenByC?.last_polled_at ?? null, 1_500, 5)).toBe(initial + 10);
  expect(await recordPoll(db, DEFAULT_TENANT, hash, 1_000, 2_000, 5)).toBeUndefined();
  expect((await getDeviceCode(db, DEFAULT_TENANT, { device_code_hash: hash }))?.poll_interval).toBe(initial + 10);
}
