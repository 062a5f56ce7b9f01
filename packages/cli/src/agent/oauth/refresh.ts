import { WardError } from "@ward/core";
import { audit } from "../audit.js";
import { agentPort } from "../paths.js";
import type { ProviderDefinition } from "../providers/types.js";
import type { CredentialStore } from "../store/credential-store.js";
import { withFileLock } from "../store/file-lock.js";
import type { Connection } from "../store/model.js";
import { refreshThroughDaemon } from "./daemon-client.js";
import { resolveEndpoints } from "./discovery.js";
import { requestTokens } from "./token-endpoint.js";

/** Refresh when less than this is left, so a token handed to a process does not expire in its hands. */
export const REFRESH_MARGIN_MS = 60_000;

export const needsRefresh = (connection: Connection, now = Date.now()) =>
  connection.kind === "oauth" && connection.expires_at !== undefined && connection.expires_at - now < REFRESH_MARGIN_MS;

/** When the connection's tokens were last issued: a caller that saw an older stamp knows someone refreshed since. */
export const issuedStamp = (connection: Connection) => connection.refreshed_at ?? connection.obtained_at;

type Found = { name: string; connection: Connection };

/** Provider answers that mean "the provider could not be reached", not "the grant is dead". */
function unreachable(error: unknown): string | undefined {
  if (!(error instanceof WardError)) return undefined;
  const reason = error.message.replace(/\.$/, "");
  if (error.code === "agent_discovery_failed") return reason;
  if (error.code !== "agent_token_request_failed") return undefined;
  const answer = String(error.params.error);
  return answer === "temporarily_unavailable" || /^HTTP 5\d\d$/.test(answer) ? reason : undefined;
}

/**
 * Refreshes one connection under the store's lock file, unless another process already did while
 * this one waited (its issue stamp moved on). The rotated refresh token is saved before the new
 * access token is handed out; a failure says whether a new login is needed.
 */
export async function refreshUnderLock(
  store: CredentialStore,
  provider: ProviderDefinition,
  name: string,
  seenStamp: number,
  via: "daemon" | "file lock",
): Promise<Found> {
  return withFileLock(store.paths.refreshLock, async () => {
    const current = store.getConnection(provider.name, name);
    if (!current) throw new WardError("agent_not_logged_in", { provider: provider.name, connection: name });
    if (issuedStamp(current.connection) !== seenStamp || !needsRefresh(current.connection)) return current;
    const failed = (code: "agent_refresh_failed" | "agent_refresh_unreachable", reason: string): never => {
      audit(store.paths, { event: "refresh_failed", provider: provider.name, connection: name, detail: `${code}: ${reason}` });
      throw new WardError(code, { provider: provider.name, connection: name, reason });
    };
    if (!current.connection.refresh_token)
      return failed("agent_refresh_failed", "there is no refresh token (the provider issued none; ask for offline_access)");
    const client = store.read().providers[provider.name]?.client;
    if (!client) return failed("agent_refresh_failed", "the provider's client registration is missing from the store");
    let refreshed: Connection;
    try {
      const endpoints = await resolveEndpoints(provider);
      if (!endpoints.token_endpoint) return failed("agent_refresh_failed", "the provider has no token_endpoint");
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
      if (error instanceof WardError && (error.code === "agent_client_rejected" || error.code === "agent_refresh_failed")) throw error;
      const network = unreachable(error);
      if (network) return failed("agent_refresh_unreachable", network);
      return failed("agent_refresh_failed", (error instanceof Error ? error.message : String(error)).replace(/\.$/, ""));
    }
    store.saveConnection(provider.name, name, refreshed);
    audit(store.paths, { event: "refresh", provider: provider.name, connection: name, detail: `via ${via}` });
    return { name, connection: refreshed };
  });
}

/**
 * Returns the connection, refreshed first when it is near expiry. Single flight across processes:
 * the running daemon refreshes (one refresh per connection at a time, whoever asks); when no
 * daemon answers, the refresh runs under the store's lock file. Either way 20 parallel callers
 * cause one refresh and all read its result.
 */
export async function freshConnection(
  store: CredentialStore,
  provider: ProviderDefinition,
  connectionName: string | undefined,
  port = agentPort(),
): Promise<Found> {
  const found = store.getConnection(provider.name, connectionName);
  if (!found) throw new WardError("agent_not_logged_in", { provider: provider.name, connection: connectionName ?? "default" });
  if (!needsRefresh(found.connection)) return found;
  const seen = issuedStamp(found.connection);
  if (await refreshThroughDaemon(store.paths, port, { provider: provider.name, connection: found.name, seen })) {
    const current = store.getConnection(provider.name, found.name);
    if (!current) throw new WardError("agent_not_logged_in", { provider: provider.name, connection: found.name });
    // Trust the store, not the answer: a program posing as the daemon cannot make us use an expired token.
    if (issuedStamp(current.connection) !== seen || !needsRefresh(current.connection)) return current;
  }
  return refreshUnderLock(store, provider, found.name, seen, "file lock");
}
