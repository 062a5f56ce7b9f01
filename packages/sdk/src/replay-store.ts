import type { ReplayStore } from "@ward/core";

export type { ReplayStore };

/** One process: a Map pruned as it is used. Several instances behind a load balancer need {@link RedisReplayStore}. */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  private lastPrune = 0;

  /** `maxEntries` bounds memory: beyond it the oldest entries go (a proof is then only as safe as its iat window). */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    if (now - this.lastPrune > 10_000) {
      for (const [seenKey, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(seenKey);
      this.lastPrune = now;
    }
    const expiresAt = this.seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.seen.set(key, now + ttlMs);
    if (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
    return true;
  }
}

/** The subset of an ioredis client the store uses (SET … PX … NX is atomic across instances). */
export interface RedisLike {
  set(key: string, value: string, px: "PX", ttlMs: number, nx: "NX"): Promise<string | null>;
}

/** Shared by every instance of a resource server: a replayed proof is refused whichever instance saw it first. */
export class RedisReplayStore implements ReplayStore {
  constructor(
    private readonly redis: RedisLike,
    private readonly prefix = "ward:dpop:",
  ) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}${key}`, "1", "PX", Math.max(1, Math.ceil(ttlMs)), "NX")) === "OK";
  }
}
