import type { Hono } from "hono";
import type { WardEnv } from "../http/context.js";
import type { KeyStore } from "../keys/keystore.js";

/**
 * `/jwks.json`: active, next and still-needed retired public keys. Cacheable for
 * keys.jwks_max_age; the next key is published before it signs, so a cache that age is safe.
 */
export function mountJwks(app: Hono<WardEnv>, keys: KeyStore, maxAge: number): void {
  app.get("/jwks.json", (c) => {
    c.header("Cache-Control", `public, max-age=${maxAge}`);
    c.header("Access-Control-Allow-Origin", "*");
    c.header("Content-Type", "application/jwk-set+json");
    return c.body(JSON.stringify(keys.jwks()));
  });
}
