import { WardError } from "@ward/core";
import { Hono } from "hono";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { WardEnv } from "../src/http/context.js";
import { allowBrowserClients } from "../src/http/cors.js";
import { errorHandler } from "../src/http/errors.js";
import { requestLog } from "../src/http/request-log.js";
import { jsonResponse, responseHeaders, setHeader } from "../src/http/response-headers.js";
import { contentSecurityPolicy } from "../src/http/security-headers.js";
import { useTestWard } from "./support/admin.js";

const PAGE_POLICY = contentSecurityPolicy(["https://client.example"]);

/** The response-header middlewares as createWard stacks them, before routes of every kind of answer. */
function app(): Hono<WardEnv> {
  const hono = new Hono<WardEnv>();
  hono.use(responseHeaders());
  hono.use(requestLog(pino({ level: "silent" })));
  hono.onError(errorHandler("http://issuer.example/errors"));
  allowBrowserClients(hono, ["/api"]);
  hono.get("/json", (c) => c.json({ ok: true }));
  hono.get("/api", (c) => c.json({ ok: true }));
  hono.get("/raw", () => new Response("raw", { headers: { "content-type": "text/plain" } }));
  hono.get("/raw-with-policy", () => new Response("raw", { headers: { "Content-Security-Policy": PAGE_POLICY } }));
  hono.get("/page", (c) => {
    setHeader(c, "Content-Security-Policy", PAGE_POLICY);
    return c.html("<p>page</p>");
  });
  hono.get("/page-hono-header", (c) => {
    c.header("Content-Security-Policy", PAGE_POLICY);
    c.header("Set-Cookie", "a=1", { append: true });
    c.header("Set-Cookie", "b=2", { append: true });
    return c.html("<p>page</p>");
  });
  hono.get("/fast", (c) => {
    setHeader(c, "DPoP-Nonce", "n-1");
    return jsonResponse(c, { ok: true }, 201, { "Cache-Control": "no-store", "content-type": "application/jwk-set+json" });
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

describe("security headers and the request id on every kind of answer (from the request's header record)", () => {
  const hono = app();
  it.each(["/json", "/raw", "/throws", "/missing"])("%s carries them", async (path) => {
    expectSecurityHeaders(await hono.request(path));
  });

  it("keeps the CSP a page or a handler's own Response chose", async () => {
    expectSecurityHeaders(await hono.request("/page"), PAGE_POLICY);
    expectSecurityHeaders(await hono.request("/raw-with-policy"), PAGE_POLICY);
  });

  it("keeps what a handler set with Hono's own c.header, cookies included", async () => {
    const response = await hono.request("/page-hono-header");
    expectSecurityHeaders(response, PAGE_POLICY);
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("builds a JSON response from the record: its headers, the handler's, one value per name", async () => {
    const response = await hono.request("/fast");
    expect(response.status).toBe(201);
    expectSecurityHeaders(response);
    expect(response.headers.get("dpop-nonce")).toBe("n-1");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    expect(await response.json()).toEqual({ ok: true });
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

describe("response headers are declared only through setHeader", () => {
  it("no server source calls Hono's c.header (a header set there is lost on a response built by jsonResponse)", async () => {
    const { readdir, readFile } = await import("node:fs/promises");
    const root = new URL("../src/", import.meta.url);
    const files = (await readdir(root, { recursive: true })).filter((file) => /\.tsx?$/.test(file));
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(new URL(file, root), "utf8");
      if (/\bc\.header\(/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
