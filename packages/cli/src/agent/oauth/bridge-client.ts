import { setTimeout as sleep } from "node:timers/promises";
import { WardError } from "@ward/core";
import type { BridgeAnswer, BridgeRequest } from "../daemon/bridge.js";
import { ensureDaemon } from "../daemon/lifecycle.js";
import type { AgentPaths } from "../paths.js";
import { headlessReason, openBrowser } from "./browser.js";
import { daemonRefusal, daemonRequest } from "./daemon-client.js";

/**
 * Asks the user for a client_id/secret or an API key on a one-time page of the daemon (the browser
 * bridge) and waits for the answer; the value never passes through argv or the terminal.
 */
export async function askInBrowser(
  options: { paths: AgentPaths; port: number; timeoutMs: number; say: (line: string) => void },
  request: BridgeRequest,
): Promise<BridgeAnswer> {
  const { paths, port } = options;
  await ensureDaemon(paths, port);
  const opened = await daemonRequest(paths, port, "/bridges", {
    method: "POST",
    body: JSON.stringify({ ...request, ttl_ms: options.timeoutMs }),
  });
  if (opened.status !== 201) throw await daemonRefusal(opened, "open the setup page");
  const { id, url } = (await opened.json()) as { id: string; url: string };
  const what = request.kind === "client" ? "your OAuth app's client ID (and secret)" : "the API key";
  options.say(`Paste ${what} for ${request.provider} on this one-time page:\n  ${url}`);
  const headless = headlessReason();
  if (headless) options.say(`No browser will open: ${headless}. Open the URL on this machine.`);
  else await openBrowser(url);
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const polled = (await (await daemonRequest(paths, port, `/bridges/${id}`)).json()) as { status: string; answer?: BridgeAnswer };
    if (polled.status === "submitted" && polled.answer) return polled.answer;
    if (polled.status !== "pending") break;
    await sleep(200);
  }
  await daemonRequest(paths, port, `/bridges/${id}`, { method: "DELETE" }).catch(() => undefined);
  throw new WardError("agent_bridge_not_answered", { url, seconds: Math.round(options.timeoutMs / 1000) });
}
