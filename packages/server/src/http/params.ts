import { type ErrorCode, WardError } from "@ward/core";
import type { Context } from "hono";
import type { WardEnv } from "./context.js";

const FORM = "application/x-www-form-urlencoded";

/** Longest value any OAuth parameter may have (state, nonce and tokens included). */
export const MAX_PARAMETER_LENGTH = 4096;

/**
 * The parameters of a request: the query string of a GET, the form body of a POST (which must be
 * application/x-www-form-urlencoded, else `unsupported_media_type`).
 */
export async function readParams(c: Context<WardEnv>): Promise<URLSearchParams> {
  if (c.req.method === "GET" || c.req.method === "HEAD") return new URL(c.req.url).searchParams;
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== FORM) {
    throw new WardError("unsupported_media_type", { path: c.req.path, expected: FORM, received: type || "(none)" });
  }
  const params = new URLSearchParams(await c.req.text());
  for (const [name, value] of params) {
    if (name.includes("\u0000") || value.includes("\u0000"))
      throw new WardError("text_nul_character", { where: `Form parameter ${JSON.stringify(name.replaceAll("\u0000", "\\0"))}` });
  }
  return params;
}

/** Names that appear more than once (only those not in `repeatable`). */
export function repeatedParameter(
  params: URLSearchParams,
  repeatable: readonly string[] = [],
): { name: string; count: number } | undefined {
  const counts = new Map<string, number>();
  for (const name of params.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const [name, count] of counts) if (count > 1 && !repeatable.includes(name)) return { name, count };
  return undefined;
}

/** A short, printable rendering of a received value for error descriptions. */
export function shown(value: string, limit = 120): string {
  return JSON.stringify(value.length > limit ? `${value.slice(0, limit)}…` : value);
}

/**
 * One parameter as a string (undefined when absent or empty); a value longer than `max` raises
 * `invalidCode` naming the parameter.
 */
export function param(params: URLSearchParams, name: string, invalidCode: ErrorCode, max = MAX_PARAMETER_LENGTH): string | undefined {
  const value = params.get(name);
  if (value === null || value === "") return undefined;
  if (value.length > max) {
    throw new WardError(invalidCode, {
      parameter: name,
      received: `${value.length} characters`,
      expected: `at most ${max} characters`,
    });
  }
  return value;
}
