import { base32Decode, totp } from "@ward/core";
import { decodeJwt } from "jose";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumUnavailable, useChromium } from "./support/chromium.js";
import { poll, seedDeviceClients, startDevice } from "./support/device.js";
import { RESOURCE, seedFlowFixtures, USER } from "./support/flow.js";
import { startTestWard, type TestWard } from "./support/ward.js";

const skip = chromiumUnavailable();
if (skip) console.log(skip);

const chrome = useChromium();
let t: TestWard;
let context: BrowserContext | undefined;

beforeAll(async () => {
  t = await startTestWard({ grants: { device_code: true }, device: { interval: 1 }, login: { two_factor: "required" } });
  await seedFlowFixtures(t);
  await seedDeviceClients(t);
  if (!skip) context = await chrome.context();
}, 60_000);

afterAll(async () => {
  await context?.close();
  await t?.stop();
});

describe.skipIf(skip !== undefined)("the device page in Chromium (contract labels Code / Continue)", () => {
  it("the user types the code, signs in with two-factor enrolment, allows, and the device's next poll gets tokens", async () => {
    const device = await startDevice(t, { scope: "notes:read", resource: RESOURCE });
    const page = await (context as BrowserContext).newPage();
    await page.goto(device.verification_uri);
    await page.getByRole("heading", { name: "Connect a device" }).waitFor();
    await page.getByLabel("Code").fill(device.user_code.toLowerCase().replace("-", ""));
    await page.getByRole("button", { name: "Continue" }).click();

    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Email").fill(USER.email);
    await page.getByLabel("Password").fill(USER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Set up two-factor authentication" }).waitFor();
    const secret = base32Decode((await page.locator("#setup-key").textContent()) as string);
    await page.getByLabel("Authentication code").fill(totp(secret, Date.now()));
    await page.getByRole("button", { name: "Verify" }).click();

    await page.getByRole("heading", { name: "Allow Notes on TV?" }).waitFor();
    const consent = (await page.locator("main").textContent()) as string;
    expect(consent).toContain("A device is asking");
    expect(consent).toContain("Read your notes");
    expect((await poll(t, device.device_code)).body.code).toBe("device_authorization_pending");
    await page.getByRole("button", { name: "Allow" }).click();
    await page.getByRole("heading", { name: "Device connected" }).waitFor();
    await page.close();

    await new Promise((resolve) => setTimeout(resolve, device.interval * 1000));
    const tokens = await poll(t, device.device_code);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(decodeJwt(tokens.body.access_token as string)).toMatchObject({ aud: RESOURCE, client_id: "tv-app", scope: "notes:read" });
    expect(tokens.body.refresh_token).toBeUndefined();
  }, 60_000);
});
