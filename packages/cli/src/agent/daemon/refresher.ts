import { agentContext } from "../commands/context.js";
import { refreshUnderLock } from "../oauth/refresh.js";

/**
 * The daemon's side of refresh: one refresh per connection at a time, whichever processes ask;
 * callers that arrive while one runs wait for it. It still takes the store's lock file, so a CLI
 * that could not reach the daemon never refreshes the same token concurrently.
 */
export class DaemonRefresher {
  private readonly running = new Map<string, Promise<void>>();

  refresh(provider: string, connection: string, seen: number): Promise<void> {
    const key = JSON.stringify([provider, connection]);
    const inFlight = this.running.get(key);
    if (inFlight) return inFlight;
    const work = this.run(provider, connection, seen).finally(() => this.running.delete(key));
    this.running.set(key, work);
    return work;
  }

  private async run(providerName: string, connection: string, seen: number): Promise<void> {
    const ctx = await agentContext();
    await refreshUnderLock(ctx.store, ctx.provider(providerName), connection, seen, "daemon");
  }
}
