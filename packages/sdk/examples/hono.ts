import { createVerifier } from "@ward/sdk";
import { mountProtectedResourceMetadata, type WardAuthEnv, wardAuth } from "@ward/sdk/hono";
import { Hono } from "hono";

/** The same notes API as a Hono app (mount it with @hono/node-server, Bun, Deno or Workers). */
export function notesApp(options: { issuer: string; resource: string; allowInsecureLoopback?: boolean }): Hono<WardAuthEnv> {
  const verifier = createVerifier(options);
  const protection = { verifier, scopes: ["notes:read"] };
  const app = new Hono<WardAuthEnv>();
  mountProtectedResourceMetadata(app as unknown as Hono, protection); // /.well-known/oauth-protected-resource/…
  app.use("/notes/*", wardAuth(protection)); // 401 / 403 with RFC 6750 challenges
  app.get("/notes/list", (c) => c.json({ user: c.get("ward").claims.sub }));
  return app;
}
