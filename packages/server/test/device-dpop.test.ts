import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { DEVICE_GRANT, reachDeviceConsent, seedDeviceClients, startDevice } from "./support/device.js";
import { dpopKey, proof, rawRequest, type TestDpopKey } from "./support/dpop.js";
import { RESOURCE, seedFlowFixtures } from "./support/flow.js";

/**
 * RFC 8628 × RFC 9449: DPoP does not define anything for the device flow beyond the token request,
 * where a proof binds what is issued like on any grant: the access token (cnf.jkt) and, for a
 * public client, its refresh token family.
 */
const t = useTestWard({ grants: { device_code: true }, device: { interval: 1 } });
const tokenUrl = () => `${t.publicUrl}/token`;

async function tokenRequest(form: Record<string, string>, key?: TestDpopKey) {
  const headers: Record<string, string> = key ? { dpop: await proof(key, { htu: tokenUrl() }) } : {};
  return rawRequest(tokenUrl(), { headers, form: { client_id: "tv-app", ...form } });
}

/** A device authorization for tv-app the user approved; returns its device code. */
async function approvedDeviceCode(): Promise<string> {
  const device = await startDevice(t, { scope: "offline_access notes:read", resource: RESOURCE });
  const browser = new TestBrowser(t.publicUrl);
  const consent = await reachDeviceConsent(t, device.user_code, browser);
  expect((await browser.submit(consent, {}, "Allow")).title).toBe("Device connected");
  return device.device_code;
}

beforeAll(async () => {
  await seedFlowFixtures(t);
  await seedDeviceClients(t);
});

describe("DPoP on the device code grant", () => {
  it("a proof on the device code request binds the access token and the public client's refresh tokens to its key", async () => {
    const [key, other] = [await dpopKey(), await dpopKey()];
    const issued = await tokenRequest({ grant_type: DEVICE_GRANT, device_code: await approvedDeviceCode() }, key);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body.token_type).toBe("DPoP");
    expect(decodeJwt(issued.body.access_token).cnf).toEqual({ jkt: key.jkt });
    expect(issued.body.refresh_token).toBeTruthy();

    const swapped = await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.body.refresh_token }, other);
    expect(swapped.status, JSON.stringify(swapped.body)).toBe(400);
    expect(swapped.body.code).toBe("dpop_refresh_key_swap");
    const unproven = await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.body.refresh_token });
    expect(unproven.body.code).toBe("dpop_refresh_key_swap");

    const refreshed = await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.body.refresh_token }, key);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(decodeJwt(refreshed.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it("a proof made for another endpoint is refused with dpop_htu_mismatch and the approved code stays redeemable", async () => {
    const deviceCode = await approvedDeviceCode();
    const key = await dpopKey();
    const wrong = await rawRequest(tokenUrl(), {
      headers: { dpop: await proof(key, { htu: `${t.publicUrl}/device_authorization` }) },
      form: { client_id: "tv-app", grant_type: DEVICE_GRANT, device_code: deviceCode },
    });
    expect(wrong.status, JSON.stringify(wrong.body)).toBe(400);
    expect(wrong.body.code).toBe("dpop_htu_mismatch");
    const right = await tokenRequest({ grant_type: DEVICE_GRANT, device_code: deviceCode }, key);
    expect(right.status, JSON.stringify(right.body)).toBe(200);
  });
});
