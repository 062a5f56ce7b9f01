import { WardError } from "@ward/core";
import type { BridgeAnswer } from "../daemon/bridge.js";
import { metadataDocumentClient } from "../oauth/client-metadata.js";
import { registerClient } from "../oauth/dcr.js";
import type { Endpoints } from "../oauth/discovery.js";
import type { Flow, ProviderDefinition } from "../providers/types.js";
import type { ClientRegistration } from "../store/model.js";

export interface ClientChoice {
  provider: ProviderDefinition;
  flow: Flow;
  endpoints: Endpoints;
  /** The client the store kept from an earlier login. */
  stored: ClientRegistration | undefined;
  clientId: string | undefined;
  /** Reads the secret of --client-id from stdin (--client-secret-stdin), else undefined. */
  readSecret: () => Promise<string | undefined>;
  clientMetadataUrl: string | undefined;
  redirectUri: string;
  scopes: string[];
  say: (line: string) => void;
  /** The browser bridge page where the user pastes the app they created. */
  askUser: () => Promise<BridgeAnswer>;
}

async function givenClientId(c: ClientChoice): Promise<ClientRegistration | undefined> {
  if (!c.clientId) return undefined;
  return { client_id: c.clientId, client_secret: (await c.readSecret()) || undefined, source: "configured" };
}

/** MCP's order puts a client metadata document before registration; only for the browser flow. */
function metadataDocument(c: ClientChoice): ClientRegistration | undefined {
  if (c.flow !== "pkce" || !c.clientMetadataUrl) return undefined;
  if (!c.endpoints.client_id_metadata_document_supported) {
    c.say(
      `${c.provider.name} does not accept client metadata documents (its metadata lacks client_id_metadata_document_supported): not using ${c.clientMetadataUrl}`,
    );
    return undefined;
  }
  c.say(`Client: the metadata document ${c.clientMetadataUrl} (the authorization server fetches it; nothing is registered)`);
  return metadataDocumentClient(c.clientMetadataUrl, c.redirectUri);
}

/** dcr_pkce registers once per provider and registration endpoint; a client registered there is reused. */
async function dynamicRegistration(c: ClientChoice): Promise<ClientRegistration | undefined> {
  if (c.flow !== "dcr_pkce") return undefined;
  const endpoint = c.endpoints.registration_endpoint;
  if (c.stored?.source === "dcr" && c.stored.registered_at === endpoint) return c.stored;
  if (!endpoint)
    throw new WardError("agent_flow_unsupported", {
      flow: c.flow,
      provider: c.provider.name,
      reason: "its metadata has no registration_endpoint",
    });
  const client = await registerClient(c.provider.name, endpoint, c.redirectUri, c.scopes);
  c.say(`Registered client ${client.client_id} at ${endpoint}`);
  return client;
}

const storedClient = async (c: ClientChoice) => c.stored;

const providersPublicClient = async (c: ClientChoice): Promise<ClientRegistration | undefined> =>
  c.provider.client_id ? { client_id: c.provider.client_id, source: "configured" } : undefined;

async function pastedOnBridge(c: ClientChoice): Promise<ClientRegistration> {
  const answer = await c.askUser();
  if (!("client_id" in answer)) throw new Error("the setup page answered an API key where a client was asked for");
  return { client_id: answer.client_id, client_secret: answer.client_secret, source: "configured" };
}

/**
 * The client a login uses: the first of these steps that gives one. --client-id (secret on stdin);
 * a client metadata document; a DCR registration (dcr_pkce); the stored client; the provider's
 * public client_id; the app the user creates and pastes on the browser bridge page.
 */
export async function chooseLoginClient(c: ClientChoice): Promise<ClientRegistration> {
  for (const step of [givenClientId, metadataDocument, dynamicRegistration, storedClient, providersPublicClient]) {
    const client = await step(c);
    if (client) return client;
  }
  return pastedOnBridge(c);
}
