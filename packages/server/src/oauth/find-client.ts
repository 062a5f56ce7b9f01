import { type ClientRecord, getClient } from "../store/clients.js";
import { isUrlClientId } from "./client-metadata-document.js";
import type { ServerContext } from "./context.js";

/**
 * The one place a client_id becomes a client: a registered client from the store, or, with
 * registration.client_id_metadata_documents on, the client an https client_id's metadata document
 * describes (a catalog error when that document is unusable). Undefined: no such client.
 */
export async function findClient(ctx: ServerContext, clientId: string): Promise<ClientRecord | undefined> {
  if (isMetadataDocumentClient(ctx, clientId)) return ctx.clientMetadataDocuments.get(clientId);
  return ctx.records.clients.get(clientId, () => getClient(ctx.db, ctx.tenantId, clientId));
}

/** True when `clientId` is resolved through its metadata document (not registered with this server). */
export function isMetadataDocumentClient(ctx: ServerContext, clientId: string): boolean {
  return ctx.config.registration.client_id_metadata_documents && isUrlClientId(clientId);
}
