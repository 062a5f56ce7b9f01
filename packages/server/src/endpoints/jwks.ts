import type { Hono } from "hono";
import type { WardEnv } from "../http/context.js";
import { jsonResponse } from "../http/response-headers.js";
import type { KeyStore } from "../keys/keystore.js";

/**
 * `/jwks.json`: active, next and still-needed retired public keys. Cacheable for
 * keys.jwks_max_age; the next key is published before it signs, so a cache that age is safe.
 */
export function mountJwks(app: Hono<WardEnv>, keys: KeyStore, maxAge: number): void {
  app.get("/jwks.json", (c) => {
    return jsonResponse(c, keys.jwks(), 200, {
      "cache-control": `public, max-age=${maxAge}`,
      "access-control-allow-origin": "*",
      "content-type": "application/jwk-set+json",
    });
  });
}
