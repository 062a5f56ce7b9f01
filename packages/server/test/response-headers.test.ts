import { WardError } from "@ward/core";
import { Hono } from "hono";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { WardEnv } from "../src/http/context.js";
import { allowBrowserClients } from "../src/http/cors.js";
import { errorHandler } from "../src/http/errors.js";
import { requestLog } from "../src/http/request-log.js";
import { contentSecurityPolicy, securityHeaders } from "../src/http/security-headers.js";
import { useTestWard } from "./support/admin.js";

const PAGE_POLICY = contentSecurityPolicy(["https://client.example"]);

/** The response-header middlewares as createWard stacks them, before routes of every kind of answer. */
function app(): Hono<WardEnv> {
  const hono = new Hono<WardEnv>();
  hono.use(requestLog(pino({ level: "silent" })));
  hono.use(securityHeaders());
  hono.onError(errorHandler("http://issuer.example/errors"));
  allowBrowserClients(hono, ["/api"]);
  hono.get("/json", (c) => c.json({ ok: true }));
  hono.get("/api", (c) => c.json({ ok: true }));
  hono.get("/raw", () => new Response("raw", { headers: { "content-type": "text/plain" } }));
  hono.get("/raw-with-policy", () => new Response("raw", { headers: { "Content-Security-Policy": PAGE_POLICY } }));
  hono.get("/page", (c) => {
    c.header("Content-Security-Policy", PAGE_POLICY);
    return c.html("<p>page</p>");
  });
  hono.get("/throws", () => {
    throw new WardError("grant_type_missing", { supported: "client_credentials" });
  });
  return hono;
}

function expectSecurityHeaders(response: Response, policy = contentSecurityPolicy([])): void {
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(response.headers.get("content-security-policy")).toBe(policy);
  expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
}

describe("security headers and the request id on every kind of answer (set before the handler runs)", () => {
  const hono = app();
  it.each(["/json", "/raw", "/throws", "/missing"])("%s carries them", async (path) => {
    expectSecurityHeaders(await hono.request(path));
  });

  it("keeps the CSP a page or a handler's own Response chose", async () => {
    expectSecurityHeaders(await hono.request("/page"), PAGE_POLICY);
    expectSecurityHeaders(await hono.request("/raw-with-policy"), PAGE_POLICY);
  });

  it("adds CORS headers to answers and preflights of the CORS paths only", async () => {
    const answer = await hono.request("/api", { headers: { origin: "https://spa.example" } });
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(answer.headers.get("access-control-expose-headers")).toBe("WWW-Authenticate,DPoP-Nonce,X-Request-Id");
    expectSecurityHeaders(answer);
    const preflight = await hono.request("/api", { method: "OPTIONS", headers: { origin: "https://spa.example" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET,POST,OPTIONS");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("Authorization,Content-Type,DPoP");
    expect(preflight.headers.get("access-control-max-age")).toBe("600");
    expectSecurityHeaders(preflight);
    expect((await hono.request("/json")).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("security headers on a real server's token answers", () => {
  const t = useTestWard();
  it("are on a /token error answer, with its challenge, no-store and the CORS headers", async () => {
    const response = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("nobody:secret").toString("base64")}`,
      },
      body: "grant_type=authorization_code",
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    expectSecurityHeaders(response);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});
