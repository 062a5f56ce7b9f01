import { WardError } from "@ward/core";
import type { ClientRegistration } from "../store/model.js";
import { nativeClientMetadata } from "./client-metadata.js";
import { assertSecureEndpoint } from "./http.js";

/** RFC 7591: registers a public native client whose only redirect URI is the daemon's callback. */
export async function registerClient(
  provider: string,
  registrationEndpoint: string,
  redirectUri: string,
  scopes: string[],
): Promise<ClientRegistration> {
  assertSecureEndpoint(registrationEndpoint);
  const metadata = { ...nativeClientMetadata(redirectUri), ...(scopes.length ? { scope: scopes.join(" ") } : {}) };
  let response: Response;
  try {
    response = await fetch(registrationEndpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(metadata),
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new WardError("agent_discovery_failed", { url: registrationEndpoint, reason: (error as Error).message });
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status !== 201 || typeof body.client_id !== "string")
    throw new WardError("agent_token_request_failed", {
      provider,
      error: typeof body.error === "string" ? body.error : `registration HTTP ${response.status}`,
      error_description:
        typeof body.error_description === "string" ? body.error_description : "the registration endpoint returned no client_id",
    });
  return {
    client_id: body.client_id,
    client_secret: typeof body.client_secret === "string" ? body.client_secret : undefined,
    registration_access_token: typeof body.registration_access_token === "string" ? body.registration_access_token : undefined,
    registration_client_uri: typeof body.registration_client_uri === "string" ? body.registration_client_uri : undefined,
    redirect_uri: redirectUri,
    registered_at: registrationEndpoint,
    source: "dcr",
  };
}
