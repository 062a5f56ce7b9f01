import { WardError } from "@ward/core";
import type { ClientRecord } from "../store/clients.js";

/** Grants a public client may never use (it cannot keep a credential): client_credentials, token exchange, JWT bearer. */
export function requireConfidentialClient(client: ClientRecord, grantType: string): void {
  if (client.token_endpoint_auth_method === "none") {
    throw new WardError("grant_type_not_allowed_for_client", {
      client_id: client.client_id,
      registered: "none (a public client)",
      received: grantType,
    });
  }
}
