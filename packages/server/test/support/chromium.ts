import { existsSync, readFileSync } from "node:fs";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

export const CHROMIUM_PATH = process.env.WARD_TEST_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Flags this closed network needs (without the background-networking ones Chromium's own
 * connections are refused, many at a time). Shared with the agent tests' $BROWSER script.
 */
export const CHROMIUM_ARGS: string[] = JSON.parse(readFileSync(new URL("./chromium-args.json", import.meta.url), "utf8"));

/** Why browser tests cannot run here (undefined: they can). Under CI=true a missing browser is a failure, not a skip. */
export function chromiumUnavailable(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env.CI === "true")
    throw new Error(`${CHROMIUM_PATH} is missing: .ci/run installs Debian's chromium; install it with apt-get install chromium`);
  return `browser tests skipped: ${CHROMIUM_PATH} not found (apt-get install chromium)`;
}

/** Headless Debian Chromium for a test file, with the flags this closed network needs (Playwright gives it a temporary profile). */
export function useChromium(): { context(): Promise<BrowserContext> } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return {
    context: async () => {
      if (!browser) throw new Error("chromium is used before it started");
      return browser.newContext();
    },
  };
}
