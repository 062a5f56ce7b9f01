import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { callbackPath } from "../paths.js";
import { DAEMON_SERVICE, WARD_VERSION } from "../version.js";
import { BRIDGE_PREFIX, Bridges, handleBridgePage } from "./bridge-routes.js";
import { PendingLogins } from "./logins.js";
import { errorPage, notFoundPage, PAGE_HEADERS, successPage } from "./pages.js";

export interface DaemonOptions {
  port: number;
  /** Bearer token the CLI must send on control routes (the daemon writes it to a 0600 file). */
  token: string;
  log: (message: string, fields?: Record<string, unknown>) => void;
  onShutdown: () => void;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, PAGE_HEADERS);
  res.end(html);
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? "";
  const expected = Buffer.from(`Bearer ${token}`);
  const received = Buffer.from(header);
  return received.length === expected.length && timingSafeEqual(received, expected);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw new Error("body too large");
  }
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}

/** The OAuth callback: state first, then the provider's answer. */
function handleCallback(url: URL, res: ServerResponse, logins: PendingLogins, log: DaemonOptions["log"]): void {
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  const verdict = logins.callback(param("state"), {
    code: param("code"),
    iss: param("iss"),
    error: param("error"),
    error_description: param("error_description"),
  });
  if (verdict.kind === "mismatch") {
    log("callback refused: state mismatch");
    sendPage(res, 400, errorPage("agent_oauth_state_mismatch", { received: verdict.received }));
    return;
  }
  if (verdict.kind === "stale") {
    log("callback refused: stale", { outcome: verdict.outcome });
    sendPage(res, 400, errorPage("agent_oauth_callback_stale", { received: verdict.received, outcome: verdict.outcome }));
    return;
  }
  const error = param("error");
  if (error) {
    log("callback carried an error", { error });
    sendPage(
      res,
      400,
      errorPage("agent_authorization_denied", { error, error_description: param("error_description") ?? "(no description)" }),
    );
    return;
  }
  log("callback accepted");
  sendPage(res, 200, successPage());
}

/** Control routes the CLI uses while a login waits: register, poll, cancel; and shutdown. */
async function handleControl(
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
  { logins, bridges }: { logins: PendingLogins; bridges: Bridges },
  options: DaemonOptions,
) {
  if (!authorized(req, options.token)) return send(res, 401, { error: "unauthorized" });
  const bridgeMatch = /^\/bridges\/([^/]+)$/.exec(url.pathname);
  if (req.method === "POST" && url.pathname === "/bridges") {
    const body = await readJson(req);
    if (body.kind !== "client" && body.kind !== "api_key") return send(res, 400, { error: "kind must be client or api_key" });
    if (typeof body.provider !== "string") return send(res, 400, { error: "provider must be a string" });
    const text = (value: unknown) => (typeof value === "string" ? value : undefined);
    const ttl = typeof body.ttl_ms === "number" ? body.ttl_ms : 300_000;
    const id = bridges.open(
      { kind: body.kind, provider: body.provider, redirect_uri: text(body.redirect_uri), setup_url: text(body.setup_url) },
      ttl,
    );
    return send(res, 201, { id, url: `http://127.0.0.1:${options.port}${BRIDGE_PREFIX}${id}` });
  }
  if (req.method === "GET" && bridgeMatch?.[1]) return send(res, 200, bridges.collect(bridgeMatch[1]));
  if (req.method === "DELETE" && bridgeMatch?.[1]) {
    bridges.cancel(bridgeMatch[1]);
    return send(res, 200, { status: "cancelled" });
  }
  const stateMatch = /^\/logins\/([^/]+)$/.exec(url.pathname);
  if (req.method === "POST" && url.pathname === "/logins") {
    const body = await readJson(req);
    if (typeof body.state !== "string" || body.state.length < 16)
      return send(res, 400, { error: "state must be a string of 16+ characters" });
    const ttl = typeof body.ttl_ms === "number" ? body.ttl_ms : 300_000;
    logins.register(body.state, ttl);
    return send(res, 201, { status: "pending" });
  }
  if (req.method === "GET" && stateMatch?.[1]) return send(res, 200, logins.collect(decodeURIComponent(stateMatch[1])));
  if (req.method === "DELETE" && stateMatch?.[1]) {
    logins.cancel(decodeURIComponent(stateMatch[1]));
    return send(res, 200, { status: "cancelled" });
  }
  if (req.method === "POST" && url.pathname === "/shutdown") {
    send(res, 200, { status: "stopping" });
    return options.onShutdown();
  }
  send(res, 404, { error: "not_found" });
}

/**
 * The local agent daemon: /health (so the CLI can reuse it), the OAuth callback at
 * /auth/callback/oauth, and token-protected control routes for the CLI.
 */
export function createDaemonServer(options: DaemonOptions): Server {
  const logins = new PendingLogins();
  const bridges = new Bridges();
  const origins = [`http://127.0.0.1:${options.port}`, `http://localhost:${options.port}`];
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/health")
      return send(res, 200, { service: DAEMON_SERVICE, version: WARD_VERSION, pid: process.pid, port: options.port });
    if (req.method === "GET" && url.pathname === callbackPath) return handleCallback(url, res, logins, options.log);
    if (url.pathname.startsWith(BRIDGE_PREFIX)) return void handleBridgePage(req, res, url, bridges, origins).catch(() => res.destroy());
    if (/^\/(logins|bridges)(\/|$)/.test(url.pathname) || url.pathname === "/shutdown")
      return void handleControl(req, url, res, { logins, bridges }, options).catch((error: Error) =>
        send(res, 400, { error: error.message }),
      );
    sendPage(res, 404, notFoundPage());
  });
}
