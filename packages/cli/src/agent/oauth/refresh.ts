import { WardError } from "@ward/core";
import { audit } from "../audit.js";
import type { ProviderDefinition } from "../providers/types.js";
import type { CredentialStore } from "../store/credential-store.js";
import { withFileLock } from "../store/file-lock.js";
import type { Connection } from "../store/model.js";
import { resolveEndpoints } from "./discovery.js";
import { requestTokens } from "./token-endpoint.js";

/** Refresh when less than this is left, so a token handed to a process does not expire in its hands. */
export const REFRESH_MARGIN_MS = 60_000;

export const needsRefresh = (connection: Connection, now = Date.now()) =>
  connection.kind === "oauth" && connection.expires_at !== undefined && connection.expires_at - now < REFRESH_MARGIN_MS;

/**
 * Returns the connection, refreshed first when it is near expiry. Single flight across processes:
 * the refresh runs under the store's lock file and re-reads the store inside it, so of 20 parallel
 * callers one refreshes and the others read its result; the rotated refresh token is saved before
 * the new access token is handed out.
 */
export async function freshConnection(
  store: CredentialStore,
  provider: ProviderDefinition,
  connectionName: string | undefined,
): Promise<{ name: string; connection: Connection }> {
  const found = store.getConnection(provider.name, connectionName);
  if (!found) throw new WardError("agent_not_logged_in", { provider: provider.name, connection: connectionName ?? "default" });
  if (!needsRefresh(found.connection)) return found;
  return withFileLock(store.paths.refreshLock, async () => {
    const current = store.getConnection(provider.name, found.name);
    if (!current) throw new WardError("agent_not_logged_in", { provider: provider.name, connection: found.name });
    // Another process refreshed while this one waited for the lock: use its tokens.
    if (current.connection.access_token !== found.connection.access_token || !needsRefresh(current.connection)) return current;
    const fail = (reason: string): never => {
      audit(store.paths, { event: "refresh_failed", provider: provider.name, connection: found.name, detail: reason });
      throw new WardError("agent_refresh_failed", { provider: provider.name, connection: found.name, reason });
    };
    if (!current.connection.refresh_token) return fail("there is no refresh token (the provider issued none; ask for offline_access)");
    const client = store.read().providers[provider.name]?.client;
    if (!client) return fail("the provider's client registration is missing from the store");
    const endpoints = await resolveEndpoints(provider);
    if (!endpoints.token_endpoint) return fail("the provider has no token_endpoint");
    let refreshed: Connection;
    try {
      refreshed = await requestTokens(
        {
          provider: provider.name,
          tokenEndpoint: endpoints.token_endpoint,
          client,
          params: { grant_type: "refresh_token", refresh_token: current.connection.refresh_token, resource: current.connection.resource },
        },
        current.connection,
      );
    } catch (error) {
      if (error instanceof WardError && error.code === "agent_client_rejected") throw error;
      return fail(error instanceof Error ? error.message : String(error));
    }
    store.saveConnection(provider.name, found.name, refreshed);
    audit(store.paths, { event: "refresh", provider: provider.name, connection: found.name });
    return { name: found.name, connection: refreshed };
  });
}
