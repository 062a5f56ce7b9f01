import { setTimeout as sleep } from "node:timers/promises";
import { WardError } from "@ward/core";
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
    if (response.status !== 201)
      throw new Error(`the daemon refused to register the login (HTTP ${response.status}): run \`ward daemon restart\``);
  }

  /** Polls until the callback arrives; a forged or foreign state aborts, the deadline is agent_login_timeout. */
  async wait(timeoutMs: number): Promise<CallbackResult> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const polled = (await (await this.request(`/logins/${encodeURIComponent(this.state)}`)).json()) as {
        status: string;
        result?: CallbackResult;
        mismatch?: string;
      };
      if (polled.status === "received" && polled.result) return polled.result;
      if (polled.mismatch) {
        await this.cancel();
        throw new WardError("agent_oauth_state_mismatch", { received: polled.mismatch });
      }
      if (polled.status !== "pending") break;
      await sleep(200);
    }
    await this.cancel();
    throw new WardError("agent_login_timeout", { redirect_uri: redirectUri(this.port), seconds: Math.round(timeoutMs / 1000) });
  }

  async cancel(): Promise<void> {
    await this.request(`/logins/${encodeURIComponent(this.state)}`, { method: "DELETE" }).catch(() => undefined);
  }
}
