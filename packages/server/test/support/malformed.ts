import { findError } from "@ward/core";
import { expect } from "vitest";
import type { TestWard } from "./ward.js";

/** The harness of the malformed-input tests: one table row per bad request, the same assertions for each. */

export const FORM = "application/x-www-form-urlencoded";
export const KB = 1024;
export const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
export const b64 = (text: string) => Buffer.from(text).toString("base64");

export type Body = string | Uint8Array;

export interface Case {
  name: string;
  method?: string;
  path: string;
  /** Headers; `auth: "web"` adds the web-app client's valid Basic credentials. */
  headers?: Record<string, string>;
  auth?: "web";
  body?: Body;
  status: number;
  /** Catalog code expected in the JSON body (or, for pages, in the HTML). */
  code?: string;
  /** The answer is an HTML page rather than OAuth JSON. */
  html?: boolean;
  /** The exact Allow header of a 405. */
  allow?: string;
  /** Extra check of the parsed JSON body. */
  json?: Record<string, unknown>;
}

export const post = (path: string, body: Body, extra: Partial<Case> = {}): Omit<Case, "name" | "status"> => ({
  method: "POST",
  path,
  body,
  headers: { "content-type": FORM },
  ...extra,
});

/** Every parameter of a request duplicated in turn: each must be refused as repeated. */
export const duplicates = (path: string, params: Record<string, string>, code: string, extra: Partial<Case> = {}): Case[] =>
  Object.entries(params).map(([name, value]) => ({
    name: `${path}: ${name} sent twice${params.grant_type ? ` (grant_type=${params.grant_type})` : ""}`,
    ...post(path, `${form(params)}&${encodeURIComponent(name)}=${encodeURIComponent(value)}`, extra),
    status: 400,
    code,
  }));

/** Row counts of every table a request could change (login_throttle aside: login failures count there). */
export const TABLES = [
  "audit_events",
  "authorization_codes",
  "token_families",
  "refresh_tokens",
  "access_tokens",
  "sessions",
  "interactions",
  "consents",
  "used_jtis",
  "clients",
  "users",
] as const;

type Table = (typeof TABLES)[number] | "client_registrations" | "pushed_requests" | "device_codes";

export async function counts(t: TestWard, tables: readonly Table[] = TABLES): Promise<Record<string, number>> {
  const db = t.ward.database.db;
  const result: Record<string, number> = {};
  for (const table of tables) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}

const STACK_TRACE = [/\bat .*\.(ts|tsx|js|mjs):\d+/, /Error:/, /node_modules/, /\/work\//, /node:internal/];

export function expectNoStackTrace(text: string): void {
  for (const pattern of STACK_TRACE) expect(text, `the body matches ${pattern}`).not.toMatch(pattern);
}

async function send(t: TestWard, c: Case, webSecret: string): Promise<{ response: Response; text: string }> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.auth === "web") headers.authorization = `Basic ${b64(`web-app:${webSecret}`)}`;
  const response = await fetch(`${t.publicUrl}${c.path}`, {
    method: c.method ?? "GET",
    headers,
    body: c.body,
    redirect: "manual",
  });
  return { response, text: await response.text() };
}

/** The common assertions: status, no 5xx, no stack trace, the exact catalog code, nothing stored in `tables`. */
export async function checkCase(t: TestWard, c: Case, webSecret: string, tables: readonly Table[] = TABLES): Promise<void> {
  const before = await counts(t, tables);
  const { response, text } = await send(t, c, webSecret);
  expect(response.status, text.slice(0, 600)).toBeLessThan(500);
  expect(response.status, text.slice(0, 600)).toBe(c.status);
  expectNoStackTrace(text);
  if (c.allow !== undefined) expect(response.headers.get("allow")).toBe(c.allow);
  const type = response.headers.get("content-type") ?? "";
  if (c.code !== undefined) {
    if (c.html) {
      expect(type).toMatch(/^text\/html/);
      expect(text).toContain(c.code);
    } else {
      expect(type).toMatch(/^application\/json/);
      const body = JSON.parse(text) as Record<string, string>;
      expect(body.code).toBe(c.code);
      expect(body.error).toBe(findError(c.code)?.oauthError);
      expect(body.error_uri).toBe(`${t.ward.config.server.issuer}/errors/${c.code}`);
      expect(typeof body.error_description).toBe("string");
      if (findError(c.code)?.oauthError === "invalid_client" && response.status === 401) {
        expect(response.headers.get("www-authenticate") ?? "").toMatch(/^Basic /);
      }
      if (c.path.startsWith("/userinfo") && response.status === 401) {
        expect(response.headers.get("www-authenticate") ?? "").toMatch(/^Bearer realm=/);
      }
    }
  }
  if (c.json) expect(JSON.parse(text)).toEqual(c.json);
  expect(response.headers.get("location")).toBeNull();
  expect(await counts(t, tables)).toEqual(before);
}
