import { needsRefresh } from "./oauth/refresh.js";
import type { Connection } from "./store/model.js";

/** A connection's state in words, and whether it is usable without a new login. */
export function connectionState(connection: Connection, now = Date.now()): { usable: boolean; state: string } {
  if (connection.kind === "api_key") return { usable: true, state: "API key stored" };
  if (!needsRefresh(connection, now)) return { usable: true, state: "logged in" };
  return connection.refresh_token
    ? { usable: true, state: "expired, refreshes on next use" }
    : { usable: false, state: "expired and no refresh token: run ward login --force" };
}
