import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isWardError, WardError } from "@ward/core";
import { BRIDGE_PREFIX, type Bridges } from "./bridge-routes.js";
import type { PendingLogins } from "./logins.js";
import type { DaemonRefresher } from "./refresher.js";

const BODY_LIMIT = 16_384;

export interface ControlContext {
  port: number;
  token: string;
  tokenFile: string;
  logins: PendingLogins;
  bridges: Bridges;
  refresher: DaemonRefresher;
  onShutdown: () => void;
}

export const isControlPath = (pathname: string) => /^\/(logins|bridges|refresh)(\/|$)/.test(pathname) || pathname === "/shutdown";

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** Catalog errors as JSON the CLI turns back into the same WardError. */
function sendError(res: ServerResponse, error: WardError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message, params: error.params, fix: error.definition.fix } });
}

function checkToken(req: IncomingMessage, url: URL, ctx: ControlContext): void {
  const header = req.headers.authorization;
  const expected = Buffer.from(`Bearer ${ctx.token}`);
  const received = Buffer.from(header ?? "");
  if (received.length === expected.length && timingSafeEqual(received, expected)) return;
  throw new WardError("agent_daemon_unauthorized", {
    method: req.method ?? "GET",
    path: url.pathname,
    token_file: ctx.tokenFile,
    received: header === undefined ? "no Authorization header" : "another token",
  });
}

/** The request's JSON object body; anything else names what was wrong. */
async function readBody(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const invalid = (received: string, expected: string) =>
    new WardError("agent_daemon_request_invalid", { field: "body", method: req.method ?? "POST", path: url.pathname, received, expected });
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > BODY_LIMIT) throw invalid(`more than ${BODY_LIMIT} bytes`, "a JSON object of at most 16 KiB");
  }
  if (!body) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid("not JSON", "a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid(typeof parsed, "a JSON object");
  return parsed as Record<string, unknown>;
}

/** Reads one field of a control body, or names it in agent_daemon_request_invalid. */
function field<T>(
  req: IncomingMessage,
  url: URL,
  body: Record<string, unknown>,
  name: string,
  expected: string,
  ok: (v: unknown) => boolean,
) {
  const value = body[name];
  if (!ok(value))
    throw new WardError("agent_daemon_request_invalid", {
      field: name,
      method: req.method ?? "POST",
      path: url.pathname,
      received: value === undefined ? "missing" : JSON.stringify(value).slice(0, 80),
      expected,
    });
  return value as T;
}

const isString = (v: unknown) => typeof v === "string" && v.length > 0 && v.length <= 2048;
const optionalString = (v: unknown) => v === undefined || isString(v);
const ttl = (v: unknown) => v === undefined || (typeof v === "number" && Number.isInteger(v) && v > 0 && v <= 7_200_000);

async function route(req: IncomingMessage, url: URL, res: ServerResponse, ctx: ControlContext): Promise<void> {
  checkToken(req, url, ctx);
  const get = <T>(body: Record<string, unknown>, name: string, expected: string, ok: (v: unknown) => boolean) =>
    field<T>(req, url, body, name, expected, ok);
  const bridgeId = /^\/bridges\/([^/]+)$/.exec(url.pathname)?.[1];
  const loginState = /^\/logins\/([^/]+)$/.exec(url.pathname)?.[1];
  if (req.method === "POST" && url.pathname === "/bridges") {
    const body = await readBody(req, url);
    const kind = get<"client" | "api_key">(body, "kind", '"client" or "api_key"', (v) => v === "client" || v === "api_key");
    const provider = get<string>(body, "provider", "a provider name", isString);
    const redirect_uri = get<string | undefined>(body, "redirect_uri", "a URL string", optionalString);
    const setup_url = get<string | undefined>(body, "setup_url", "a URL string", optionalString);
    const ttlMs = get<number | undefined>(body, "ttl_ms", "milliseconds, 1 to 7200000", ttl) ?? 300_000;
    const id = ctx.bridges.open({ kind, provider, redirect_uri, setup_url }, ttlMs);
    return sendJson(res, 201, { id, url: `http://127.0.0.1:${ctx.port}${BRIDGE_PREFIX}${id}` });
  }
  if (req.method === "GET" && bridgeId) return sendJson(res, 200, ctx.bridges.collect(bridgeId));
  if (req.method === "DELETE" && bridgeId) {
    ctx.bridges.cancel(bridgeId);
    return sendJson(res, 200, { status: "cancelled" });
  }
  if (req.method === "POST" && url.pathname === "/logins") {
    const body = await readBody(req, url);
    const state = get<string>(body, "state", "a string of 16 to 2048 characters", (v) => isString(v) && (v as string).length >= 16);
    const ttlMs = get<number | undefined>(body, "ttl_ms", "milliseconds, 1 to 7200000", ttl) ?? 300_000;
    ctx.logins.register(state, ttlMs);
    return sendJson(res, 201, { status: "pending" });
  }
  if (req.method === "GET" && loginState) return sendJson(res, 200, ctx.logins.collect(decodeURIComponent(loginState)));
  if (req.method === "DELETE" && loginState) {
    ctx.logins.cancel(decodeURIComponent(loginState));
    return sendJson(res, 200, { status: "cancelled" });
  }
  if (req.method === "POST" && url.pathname === "/refresh") {
    const body = await readBody(req, url);
    const provider = get<string>(body, "provider", "a provider name", isString);
    const connection = get<string>(body, "connection", "a connection name", isString);
    const seen = get<number>(body, "seen", "the issue time (ms) of the tokens the caller holds", Number.isSafeInteger);
    await ctx.refresher.refresh(provider, connection, seen);
    return sendJson(res, 200, { status: "fresh" });
  }
  if (req.method === "POST" && url.pathname === "/shutdown") {
    sendJson(res, 200, { status: "stopping" });
    return ctx.onShutdown();
  }
  throw new WardError("agent_daemon_request_invalid", {
    field: "route",
    method: req.method ?? "GET",
    path: url.pathname,
    received: "no such control route",
    expected: "one of POST /logins, GET|DELETE /logins/<state>, POST /bridges, GET|DELETE /bridges/<id>, POST /refresh, POST /shutdown",
  });
}

/** Token-protected routes for the CLI: logins and bridge pages it waits for, refresh, shutdown. */
export function handleControl(req: IncomingMessage, url: URL, res: ServerResponse, ctx: ControlContext): void {
  route(req, url, res, ctx).catch((error: unknown) => {
    if (res.headersSent) return;
    const wardError = isWardError(error)
      ? error
      : new WardError("agent_daemon_request_invalid", {
          field: "request",
          method: req.method ?? "GET",
          path: url.pathname,
          received: error instanceof Error ? error.message : String(error),
          expected: "a request the daemon can complete",
        });
    sendError(res, wardError);
  });
}
