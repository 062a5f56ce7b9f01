import { WardError } from "@ward/core";
import type { Context, MiddlewareHandler } from "hono";
import type { WardEnv } from "./context.js";

/**
 * Refuses a URL (path or query) carrying an encoded NUL before any handler or query sees it: as an
 * HTML page on the paths browsers navigate to (`page`), else as OAuth JSON.
 */
export function refuseNulInUrl(page?: {
  paths: RegExp;
  render: (c: Context<WardEnv>, error: WardError) => Response;
}): MiddlewareHandler<WardEnv> {
  return async (c, next) => {
    if (/%00/i.test(c.req.url)) {
      const error = new WardError("text_nul_character", { where: "The request URL" });
      if (page?.paths.test(c.req.path)) return page.render(c, error);
      throw error;
    }
    await next();
  };
}

/** The first string inside a JSON value that holds a NUL, as a field path ("scopes.0.name"), or undefined. */
export function nulField(value: unknown, path = ""): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? path || "(body)" : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes("\u0000")) return path ? `${path}.${key}` : key;
    const found = nulField(inner, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}
