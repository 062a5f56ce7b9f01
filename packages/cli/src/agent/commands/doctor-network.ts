import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { resolveEndpoints } from "../oauth/discovery.js";
import { assertSecureEndpoint } from "../oauth/http.js";
import type { ProviderDefinition } from "../providers/types.js";
import { PROXY_PRELOAD } from "../proxy/child-env.js";

/** Beyond this, tokens look expired (or not yet valid) to one side: JWT checks allow 0–60 s of leeway. */
export const MAX_CLOCK_SKEW_SECONDS = 30;

export interface ClockReading {
  url: string;
  /** Local clock minus the provider's, in seconds (positive: this machine is ahead). */
  skewSeconds?: number;
  problem?: string;
}

/**
 * Compares this machine's clock with the `Date` header of the provider's token endpoint (or
 * issuer). The header has one-second resolution, so readings within ±1 s mean "in sync".
 */
export async function readProviderClock(provider: ProviderDefinition): Promise<ClockReading> {
  let url = provider.token_endpoint ?? provider.issuer ?? "";
  try {
    url = (await resolveEndpoints(provider)).token_endpoint ?? url;
  } catch (error) {
    return { url: provider.issuer ?? url, problem: error instanceof Error ? error.message : String(error) };
  }
  if (!url) return { url: "(none)", problem: "the provider has no token endpoint or issuer to ask" };
  try {
    assertSecureEndpoint(url); // the same rule as every other request the CLI makes: https, or http on loopback
  } catch (error) {
    return { url, problem: error instanceof Error ? error.message : String(error) };
  }
  const sent = Date.now();
  let date: string | null;
  try {
    const response = await fetch(url, { method: "HEAD", redirect: "manual", signal: AbortSignal.timeout(5000) });
    date = response.headers.get("date");
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { url, problem: `unreachable (${cause ?? (error as Error).message})` };
  }
  const local = (sent + Date.now()) / 2;
  const server = date ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(server)) return { url, problem: "its answer has no Date header to compare with" };
  return { url, skewSeconds: Math.round((local - (server + 500)) / 1000) };
}

export function describeSkew(reading: ClockReading): { ok: boolean; detail: string } {
  if (reading.skewSeconds === undefined) return { ok: false, detail: `${reading.url}: ${reading.problem}` };
  const skew = reading.skewSeconds;
  if (Math.abs(skew) <= MAX_CLOCK_SKEW_SECONDS) return { ok: true, detail: `in sync with ${reading.url} (${skew === 0 ? "±1" : skew} s)` };
  return {
    ok: false,
    detail: `this machine is ${Math.abs(skew)} s ${skew > 0 ? "ahead of" : "behind"} ${reading.url}: tokens will look expired or not yet valid; sync the clock (timedatectl set-ntp true, or your OS's time settings)`,
  };
}

/** `ward run --proxy` injects a preload into Node children; it must exist and find undici. */
export function proxyPreloadProblem(): string | undefined {
  const path = fileURLToPath(PROXY_PRELOAD);
  if (!existsSync(path)) return `${path} is missing: reinstall or rebuild ward (npm run build)`;
  try {
    createRequire(path).resolve("undici");
  } catch {
    return `${path} cannot load undici: run npm install in ward's folder`;
  }
  return undefined;
}

export const proxyPreloadPath = () => fileURLToPath(PROXY_PRELOAD);
