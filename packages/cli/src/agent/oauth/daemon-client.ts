import { setTimeout as sleep } from "node:timers/promises";
import { type ErrorParams, findError, WardError } from "@ward/core";
import { daemonToken } from "../daemon/lifecycle.js";
import type { CallbackResult } from "../daemon/logins.js";
import { type AgentPaths, redirectUri } from "../paths.js";

/** A control request to the running daemon, with its token. */
export function daemonRequest(paths: AgentPaths, port: number, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${daemonToken(paths)}`, "content-type": "application/json" },
  });
}

/** The daemon's refusal as the catalog error it sent (the CLI prints it with its fix). */
export async function daemonRefusal(response: Response, doing: string): Promise<Error> {
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; params?: ErrorParams } };
  const code = body.error?.code;
  if (code && findError(code)) return new WardError(code as "agent_daemon_request_invalid", body.error?.params ?? {});
  return new Error(`the daemon refused to ${doing} (HTTP ${response.status}): run \`ward daemon restart\``);
}

/** The outcomes of a refresh the daemon ran: the CLI reports them as its own. */
const REFRESH_OUTCOMES = new Set(["agent_refresh_failed", "agent_refresh_unreachable", "agent_client_rejected", "agent_not_logged_in"]);

/**
 * Asks the running daemon to refresh a connection (it runs one refresh per connection at a time
 * and writes the store). False when no daemon of this user answers, or it cannot do it (another
 * master key in its environment, an older daemon): the caller then refreshes under the file lock.
 */
export async function refreshThroughDaemon(
  paths: AgentPaths,
  port: number,
  request: { provider: string; connection: string; seen: number },
): Promise<boolean> {
  let response: Response;
  try {
    response = await daemonRequest(paths, port, "/refresh", {
      method: "POST",
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(60_000),
    });
  } catch {
    return false; // no daemon (refused), no token file, or it hung: the file lock still serializes
  }
  if (response.ok) return true;
  const refusal = await daemonRefusal(response, "refresh");
  if (refusal instanceof WardError && REFRESH_OUTCOMES.has(refusal.code)) throw refusal;
  return false;
}

/** Talks to the running daemon about one login's state. */
export class LoginWaiter {
  constructor(
    private readonly paths: AgentPaths,
    private readonly port: number,
    readonly state: string,
  ) {}

  private request(path: string, init: RequestInit = {}) {
    return daemonRequest(this.paths, this.port, path, init);
  }

  async register(ttlMs: number): Promise<void> {
    const response = await this.request("/logins", { method: "POST", body: JSON.stringify({ state: this.state, ttl_ms: ttlMs }) });
    if (response.status !== 201) throw await daemonRefusal(response, "register the login");
  }

  /** Polls until the callback arrives; a forged or foreign state aborts, the deadline is agent_login_timeout. */
  /**
   * Polls until this login's callback arrives or the deadline passes. A callback with another state
   * (a stale tab, a forged request from a web page) is reported through `onMismatch` but does not end
   * the wait, so a page cannot abort a login; at the deadline it makes the error
   * agent_oauth_state_mismatch rather than agent_login_timeout.
   */
  async wait(timeoutMs: number, onMismatch: (received: string) => void = () => {}): Promise<CallbackResult> {
    const deadline = Date.now() + timeoutMs;
    let mismatch: string | undefined;
    while (Date.now() < deadline) {
      const polled = (await (await this.request(`/logins/${encodeURIComponent(this.state)}`)).json()) as {
        status: string;
        result?: CallbackResult;
        mismatch?: string;
      };
      if (polled.status === "received" && polled.result) return polled.result;
      if (polled.mismatch && polled.mismatch !== mismatch) {
        mismatch = polled.mismatch;
        onMismatch(mismatch);
      }
      if (polled.status !== "pending") break;
      await sleep(200);
    }
    await this.cancel();
    if (mismatch !== undefined) throw new WardError("agent_oauth_state_mismatch", { received: mismatch });
    throw new WardError("agent_login_timeout", { redirect_uri: redirectUri(this.port), seconds: Math.round(timeoutMs / 1000) });
  }

  async cancel(): Promise<void> {
    await this.request(`/logins/${encodeURIComponent(this.state)}`, { method: "DELETE" }).catch(() => undefined);
  }
}
