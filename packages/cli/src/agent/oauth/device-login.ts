import { setTimeout as sleep } from "node:timers/promises";
import { WardError } from "@ward/core";
import type { Connection } from "../store/model.js";
import { printable } from "../terminal-text.js";
import type { LoginFlowOptions } from "./flow-options.js";
import { postForm } from "./http.js";
import { clientAuth, requestTokens } from "./token-endpoint.js";

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** RFC 8628: shows the user code and verification URI, then polls the token endpoint at the server's interval. */
export async function deviceLogin(options: LoginFlowOptions): Promise<Connection> {
  const { endpoints, client, provider } = options;
  if (!endpoints.device_authorization_endpoint || !endpoints.token_endpoint)
    throw new WardError("agent_flow_unsupported", {
      flow: "device_code",
      provider,
      reason: "it publishes no device_authorization_endpoint",
    });
  const auth = clientAuth(client);
  const started = await postForm(
    endpoints.device_authorization_endpoint,
    { scope: options.scopes.join(" ") || undefined, resource: options.resource, ...auth.form },
    auth.headers,
  );
  const b = started.body;
  if (
    started.status !== 200 ||
    typeof b.device_code !== "string" ||
    typeof b.user_code !== "string" ||
    typeof b.verification_uri !== "string"
  )
    throw new WardError("agent_token_request_failed", {
      provider,
      error: typeof b.error === "string" ? b.error : `HTTP ${started.status}`,
      error_description:
        typeof b.error_description === "string"
          ? b.error_description
          : "the device authorization response lacks device_code, user_code or verification_uri",
    });
  options.say(printable(`On any device, open ${b.verification_uri} and enter the code ${b.user_code}`));
  if (typeof b.verification_uri_complete === "string") options.say(printable(`  (or open ${b.verification_uri_complete})`));
  // RFC 8628 §3.2: 5 s when absent; a 0 or negative interval from the server would make the CLI poll in a tight loop.
  let interval = Math.max(1, typeof b.interval === "number" && Number.isFinite(b.interval) ? b.interval : 5) * 1000;
  const expiresMs = (typeof b.expires_in === "number" ? b.expires_in : 600) * 1000;
  const deadline = Date.now() + Math.min(options.timeoutMs, expiresMs);
  const expired = () =>
    new WardError("agent_device_login_expired", {
      user_code: String(b.user_code),
      verification_uri: String(b.verification_uri),
      seconds: Math.round(Math.min(options.timeoutMs, expiresMs) / 1000),
    });
  const stopWaiting = options.waiting?.(printable(`Waiting for the code ${b.user_code} to be approved`), deadline);
  try {
    while (Date.now() < deadline) {
      await sleep(interval);
      try {
        return await requestTokens({
          provider,
          tokenEndpoint: endpoints.token_endpoint,
          client,
          params: { grant_type: DEVICE_GRANT, device_code: b.device_code, resource: options.resource },
          requestedScopes: options.scopes,
        });
      } catch (error) {
        const wire = error instanceof WardError ? String(error.params.error ?? "") : "";
        if (wire === "authorization_pending") continue;
        if (wire === "slow_down") {
          interval += 5000; // RFC 8628 §3.5
          continue;
        }
        if (wire === "expired_token") throw expired();
        if (wire === "access_denied")
          throw new WardError("agent_authorization_denied", {
            error: wire,
            error_description: String((error as WardError).params.error_description ?? "the user denied the device"),
          });
        throw error;
      }
    }
    throw expired();
  } finally {
    stopWaiting?.();
  }
}
