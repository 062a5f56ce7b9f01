import { WardError } from "@ward/core";
import { listenerUids } from "./port-holder.js";

/**
 * Refuses a daemon whose port another user listens on (Linux, from /proc): it answered /health like
 * Ward's, but only this user's own daemon may receive an authorization code or a pasted secret.
 * Where the owner cannot be read (no /proc, no getuid) nothing is known and nothing is refused.
 */
export function assertOwnDaemon(port: number): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const foreign = listenerUids(port).find((owner) => owner !== uid);
  if (foreign !== undefined) throw new WardError("agent_daemon_foreign", { port, owner: foreign, uid });
}
