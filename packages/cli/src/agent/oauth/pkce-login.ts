import { randomBytes } from "node:crypto";
import { s256Challenge, WardError } from "@ward/core";
import { ensureDaemon } from "../daemon/lifecycle.js";
import { type AgentPaths, redirectUri } from "../paths.js";
import type { Connection } from "../store/model.js";
import { headlessReason, openBrowser } from "./browser.js";
import { LoginWaiter } from "./daemon-client.js";
import type { LoginFlowOptions } from "./flow-options.js";
import { assertSecureEndpoint } from "./http.js";
import { requestTokens } from "./token-endpoint.js";

export interface PkceLoginOptions extends LoginFlowOptions {
  paths: AgentPaths;
  port: number;
  env?: NodeJS.ProcessEnv;
}

/** Authorization code + PKCE (S256) through the daemon's callback; RFC 9207 `iss` checked when sent. */
export async function pkceLogin(options: PkceLoginOptions): Promise<Connection> {
  const { endpoints, client } = options;
  if (!endpoints.authorization_endpoint || !endpoints.token_endpoint)
    throw new WardError("agent_flow_unsupported", {
      flow: "pkce",
      provider: options.provider,
      reason: "it has no authorization_endpoint or token_endpoint",
    });
  // The URL goes to $BROWSER or the OS opener: an MCP server's or issuer's metadata must not make
  // it open a file or launch another scheme's handler.
  assertSecureEndpoint(endpoints.authorization_endpoint);
  await ensureDaemon(options.paths, options.port, options.env);
  const state = randomBytes(32).toString("base64url");
  const verifier = randomBytes(32).toString("base64url");
  const redirect = redirectUri(options.port);
  const waiter = new LoginWaiter(options.paths, options.port, state);
  await waiter.register(options.timeoutMs + 5_000);

  const url = new URL(endpoints.authorization_endpoint);
  const query: Record<string, string | undefined> = {
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: redirect,
    scope: options.scopes.length ? options.scopes.join(" ") : undefined,
    state,
    code_challenge: s256Challenge(verifier),
    code_challenge_method: "S256",
    resource: options.resource,
  };
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);

  options.say(`Open this URL to log in to ${options.provider}:\n  ${url}`);
  options.say(`Waiting for the callback on ${redirect} (the provider's app must allow exactly this redirect URI).`);
  const headless = headlessReason(options.env);
  if (headless) options.say(`No browser will open: ${headless}. Open the URL on this machine, or use --flow device_code.`);
  else await openBrowser(url.toString(), options.env);

  const stopWaiting = options.waiting?.("Waiting for the browser to come back", Date.now() + options.timeoutMs);
  const result = await waiter
    .wait(options.timeoutMs, (received) =>
      options.say(
        `A callback arrived with state ${received}, which is not this login's (a tab of an earlier login, or a page that is not the provider's); still waiting for this login's callback.`,
      ),
    )
    .finally(() => stopWaiting?.());
  if (result.error)
    throw new WardError("agent_authorization_denied", {
      error: result.error,
      error_description: result.error_description ?? "(no description)",
    });
  if ((result.iss !== undefined || endpoints.iss_parameter_supported) && endpoints.issuer && result.iss !== endpoints.issuer)
    throw new WardError("agent_authorization_denied", {
      error: "iss_mismatch",
      error_description: `the authorization response came from issuer ${result.iss ?? "(none)"}, expected ${endpoints.issuer} (RFC 9207 mix-up defence)`,
    });
  if (!result.code)
    throw new WardError("agent_authorization_denied", { error: "invalid_response", error_description: "the callback carried no code" });

  return requestTokens({
    provider: options.provider,
    tokenEndpoint: endpoints.token_endpoint,
    client,
    params: {
      grant_type: "authorization_code",
      code: result.code,
      redirect_uri: redirect,
      code_verifier: verifier,
      resource: options.resource,
    },
    requestedScopes: options.scopes,
  });
}
