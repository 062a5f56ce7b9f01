import type { Context, Hono, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { protectedResourceMetadataPath } from "../prm.js";
import { type Authenticated, authenticate, failure, metadataDocument, type ProtectOptions } from "../protect.js";

/** Hono variables set by {@link wardAuth}. */
export type WardAuthEnv = { Variables: { ward: Authenticated } };

/** Serves this resource's Protected Resource Metadata at the path-inserted well-known URL and at the root one. */
export function mountProtectedResourceMetadata(app: Hono, options: ProtectOptions): void {
  const serve = (c: Context) => {
    c.header("Cache-Control", "public, max-age=3600");
    c.header("Access-Control-Allow-Origin", "*");
    return c.json(metadataDocument(options));
  };
  app.get(protectedResourceMetadataPath(options.verifier.options.resource), serve);
  app.get("/.well-known/oauth-protected-resource", serve);
}

/**
 * Hono middleware: a valid token (and the configured scopes) or a 401/403 with the RFC 6750
 * challenge; the handler reads `c.get("ward")`.
 *
 * @example
 * app.use("/notes/*", wardAuth({ verifier, scopes: ["notes:read"] }));
 * app.get("/notes/list", (c) => c.json({ user: c.get("ward").claims.sub }));
 */
export function wardAuth(options: ProtectOptions): MiddlewareHandler<WardAuthEnv> {
  return async (c, next) => {
    try {
      const url = new URL(c.req.url);
      c.set(
        "ward",
        await authenticate(options, { method: c.req.method, path: `${url.pathname}${url.search}`, header: (name) => c.req.header(name) }),
      );
    } catch (error) {
      const answer = failure(options, error);
      return c.json(answer.body, answer.status as ContentfulStatusCode, answer.headers);
    }
    await next();
  };
}
