import { isLoopbackHostname, toOAuthJson, WardError } from "@ward/core";
import { DataDir, DEFAULT_DATA_DIR } from "./dev/data-dir.js";

export const DEFAULT_ADMIN_URL = "http://127.0.0.1:9001";

export interface AdminTarget {
  url: string;
  key: string;
}

/** Resolves the admin API: --url / WARD_ADMIN_URL / default, and --key / WARD_ADMIN_API_KEY / the dev data dir's key. */
export function resolveAdminTarget(options: { url?: string; key?: string; dataDir?: string }): AdminTarget {
  const url = (options.url ?? process.env.WARD_ADMIN_URL ?? DEFAULT_ADMIN_URL).replace(/\/+$/, "");
  let loopback = false;
  try {
    const parsed = new URL(url);
    loopback = isLoopbackHostname(parsed.hostname);
    if (parsed.protocol !== "https:" && !loopback) throw new WardError("admin_url_insecure", { url });
  } catch (error) {
    if (error instanceof WardError) throw error;
    throw new WardError("admin_url_insecure", { url });
  }
  const dataDir = new DataDir(options.dataDir ?? DEFAULT_DATA_DIR);
  // The dev data dir's key belongs to a local dev server: never send it to another host.
  const key = options.key ?? process.env.WARD_ADMIN_API_KEY ?? (loopback ? dataDir.existingAdminKey() : undefined);
  if (!key) throw new WardError("admin_key_unavailable", { path: dataDir.file("admin.key") });
  return { url, key };
}

/** The outcome of an admin call: the parsed JSON body and the HTTP status. */
export interface AdminResponse {
  status: number;
  body: unknown;
}

/** Calls the admin API; a network failure becomes `admin_api_unreachable` (as an OAuth-shaped body). */
export async function adminRequest(target: AdminTarget, method: string, path: string, body?: unknown): Promise<AdminResponse> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.key}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    return { status: 0, body: toOAuthJson(new WardError("admin_api_unreachable", { url: target.url, reason })) };
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { error: "invalid_response", error_description: `non-JSON answer (HTTP ${response.status}) from ${target.url}${path}` };
    }
  }
  return { status: response.status, body: parsed };
}
