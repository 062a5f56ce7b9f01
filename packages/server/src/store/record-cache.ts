import type { ClientRecord } from "./clients.js";
import type { ResourceRecord } from "./resources.js";

/** Entries kept at most; past that the cache starts over (records are small, clients and resources few). */
const MAX_ENTRIES = 10_000;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Records read on every token request that change only through the admin API or RFC 7592
 * management, kept in memory for `ttlMs`. Only records that exist are kept, so a client or
 * resource created on any instance is usable everywhere at once; a change or deletion made on
 * this instance is seen here at once (`forget`/`clear` after the write), one made on another
 * instance sharing the database within `ttlMs`. Cached records are frozen: callers share them.
 */
export class RecordCache<T extends object> {
  private readonly entries = new Map<string, { value: T; expires: number }>();
  /** Bumped by every invalidation: a load that started before one must not store what it read. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached record of `key`, else what `load` returns (kept when it exists). */
  async get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.ttlMs <= 0) return load();
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const generation = this.generation;
    const value = await load();
    if (value === undefined) {
      this.entries.delete(key);
      return undefined;
    }
    if (generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, { value: deepFreeze(value), expires: this.now() + this.ttlMs });
    }
    return value;
  }

  /** Drops one record (after this instance changed or deleted it). */
  forget(key: string): void {
    this.generation++;
    this.entries.delete(key);
  }

  /** Drops every record. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}

/** The caches of one Ward instance: clients by client_id, resources by URI. */
export interface RecordCaches {
  clients: RecordCache<ClientRecord>;
  resources: RecordCache<ResourceRecord>;
}

/** Caches with the configured lifetime (database.record_cache_ttl, seconds; 0 turns caching off). */
export function createRecordCaches(ttlSeconds: number, now: () => number = Date.now): RecordCaches {
  return { clients: new RecordCache(ttlSeconds * 1000, now), resources: new RecordCache(ttlSeconds * 1000, now) };
}
