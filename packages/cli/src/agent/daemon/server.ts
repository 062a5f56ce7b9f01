import { createServer, type Server, type ServerResponse } from "node:http";
import { callbackPath } from "../paths.js";
import { DAEMON_SERVICE, WARD_VERSION } from "../version.js";
import { BRIDGE_PREFIX, Bridges, handleBridgePage } from "./bridge-routes.js";
import { handleControl, isControlPath, sendJson } from "./control-routes.js";
import { PendingLogins } from "./logins.js";
import { errorPage, notFoundPage, PAGE_HEADERS, successPage } from "./pages.js";
import { DaemonRefresher } from "./refresher.js";

export interface DaemonOptions {
  port: number;
  /** Bearer token the CLI must send on control routes (the daemon writes it to a 0600 file). */
  token: string;
  /** Where that token is written, named in agent_daemon_unauthorized. */
  tokenFile: string;
  log: (message: string, fields?: Record<string, unknown>) => void;
  onShutdown: () => void;
}

function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, PAGE_HEADERS);
  res.end(html);
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

/**
 * The local agent daemon: /health (so the CLI can reuse it), the OAuth callback at
 * /auth/callback/oauth, and token-protected control routes for the CLI.
 */
export function createDaemonServer(options: DaemonOptions): Server {
  const logins = new PendingLogins();
  const bridges = new Bridges();
  const control = { ...options, logins, bridges, refresher: new DaemonRefresher() };
  const origins = [`http://127.0.0.1:${options.port}`, `http://localhost:${options.port}`];
  const hosts = origins.map((origin) => origin.slice("http://".length));
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    // DNS rebinding: another site's page resolved to 127.0.0.1 arrives with that site's name as Host.
    const host = (req.headers.host ?? "").toLowerCase();
    if (!hosts.includes(host)) {
      options.log("request refused: foreign Host", { host });
      return sendPage(res, 403, errorPage("agent_daemon_host_refused", { expected: hosts.join(" or "), received: host || "(none)" }));
    }
    if (req.method === "GET" && url.pathname === "/health")
      return sendJson(res, 200, {
        service: DAEMON_SERVICE,
        version: WARD_VERSION,
        pid: process.pid,
        port: options.port,
        waiting: logins.waiting() + bridges.waiting(),
      });
    if (req.method === "GET" && url.pathname === callbackPath) return handleCallback(url, res, logins, options.log);
    if (url.pathname.startsWith(BRIDGE_PREFIX)) return void handleBridgePage(req, res, url, bridges, origins).catch(() => res.destroy());
    if (isControlPath(url.pathname)) return handleControl(req, url, res, control);
    sendPage(res, 404, notFoundPage());
  });
}
