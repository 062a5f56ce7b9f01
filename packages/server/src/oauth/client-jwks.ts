import { OutboundFetchError, type OutboundOptions, outboundGet, type WardError } from "@ward/core";
import { createLocalJWKSet, type JSONWebKeySet } from "jose";

/** A client's published keys are small; anything bigger is not a JWKS. */
const MAX_JWKS_BYTES = 64 * 1024;
const TIMEOUT_MS = 5000;
const DEFAULT_MAX_AGE_S = 300;
const MIN_MAX_AGE_S = 60;
const MAX_MAX_AGE_S = 86400;
/** An unknown kid re-fetches the set at most this often per URI (a flood of bad assertions cannot hammer the client's server). */
const REFETCH_AFTER_MS = 30_000;
/**
 * Key sets kept at most (up to 64 KiB each): with open registration anyone can register clients
 * with jwks_uris of their own, so the cache drops the least recently fetched set past this.
 */
export const MAX_CACHED_KEY_SETS = 1000;

interface Entry {
  jwks: JSONWebKeySet;
  fetchedAt: number;
  expiresAt: number;
}

function maxAge(cacheControl: string | undefined): number {
  const match = /max-age=(\d+)/i.exec(cacheControl ?? "");
  const seconds = match ? Number(match[1]) : DEFAULT_MAX_AGE_S;
  return Math.min(MAX_MAX_AGE_S, Math.max(MIN_MAX_AGE_S, seconds));
}

/**
 * Keys of clients registered with a `jwks_uri` (private_key_jwt), fetched with the outbound rules
 * (https, public addresses, no redirects, 64 KiB, 5 s) and cached for their Cache-Control max-age
 * (60 s to 1 day), at most {@link MAX_CACHED_KEY_SETS} of them.
 */
export class ClientKeyCache {
  /** By URI, in the order they were last fetched (a Map keeps insertion order). */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: Pick<OutboundOptions, "allowLoopback" | "resolve">,
    private readonly now: () => number,
  ) {}

  /** The key set at `uri`; `afterUnknownKid` re-fetches a cached set unless it was fetched moments ago. */
  async get(uri: string, afterUnknownKid = false): Promise<{ jwks: JSONWebKeySet; refetched: boolean }> {
    const cached = this.entries.get(uri);
    const now = this.now();
    const stale = !cached || cached.expiresAt <= now || (afterUnknownKid && now - cached.fetchedAt > REFETCH_AFTER_MS);
    if (cached && !stale) return { jwks: cached.jwks, refetched: false };
    const response = await outboundGet(uri, { ...this.options, maxBytes: MAX_JWKS_BYTES, timeoutMs: TIMEOUT_MS });
    if (response.status !== 200) throw new OutboundFetchError(`it answered HTTP ${response.status}`);
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(response.body.toString("utf8")) as JSONWebKeySet;
    } catch {
      throw new OutboundFetchError("its body is not JSON");
    }
    if (!jwks || !Array.isArray(jwks.keys)) throw new OutboundFetchError('its JSON has no "keys" array');
    const cacheControl = response.headers["cache-control"];
    this.entries.delete(uri);
    if (this.entries.size >= MAX_CACHED_KEY_SETS) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(uri, {
      jwks,
      fetchedAt: now,
      expiresAt: now + maxAge(typeof cacheControl === "string" ? cacheControl : undefined) * 1000,
    });
    return { jwks, refetched: true };
  }

  /** How many key sets are cached. */
  get size(): number {
    return this.entries.size;
  }
}

/** Imported key sets by their JSON (inline jwks change only on an update; jwks_uri sets come from the cache). */
const keySets = new Map<string, ReturnType<typeof createLocalJWKSet>>();

export function importedKeySet(jwks: JSONWebKeySet): ReturnType<typeof createLocalJWKSet> {
  const key = JSON.stringify(jwks);
  let set = keySets.get(key);
  if (!set) {
    set = createLocalJWKSet(jwks);
    if (keySets.size >= 1000) keySets.delete(keySets.keys().next().value as string);
    keySets.set(key, set);
  }
  return set;
}

/** Where a party's public keys are: inline, or at a URI. */
export interface KeySource {
  jwks: unknown;
  jwks_uri: string | null;
}

/**
 * Runs `verify` with the party's inline jwks, or the set at its jwks_uri (re-fetched once when no key
 * matched the kid: the party rotated). Every failure becomes `fail(reason)`.
 */
export async function verifyWithKeys<T>(
  cache: ClientKeyCache,
  source: KeySource,
  verify: (keys: ReturnType<typeof createLocalJWKSet>) => Promise<T>,
  fail: (reason: string) => WardError,
  missingKeys: string,
): Promise<T> {
  const explain = (error: unknown, where: string) => {
    const code = (error as { code?: string }).code ?? "";
    return fail(code === "ERR_JWKS_NO_MATCHING_KEY" ? `no key in ${where} matches its kid / alg` : (error as Error).message);
  };
  if (source.jwks) {
    try {
      return await verify(importedKeySet(source.jwks as JSONWebKeySet));
    } catch (error) {
      throw explain(error, "the registered jwks");
    }
  }
  const uri = source.jwks_uri;
  if (!uri) throw fail(missingKeys);
  const fetchKeys = async (afterUnknownKid: boolean) => {
    try {
      return await cache.get(uri, afterUnknownKid);
    } catch (error) {
      if (error instanceof OutboundFetchError) throw fail(`its jwks_uri ${uri} could not be used: ${error.message}`);
      throw error;
    }
  };
  const first = await fetchKeys(false);
  try {
    return await verify(importedKeySet(first.jwks));
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_JWKS_NO_MATCHING_KEY" || first.refetched) throw explain(error, uri);
  }
  const again = await fetchKeys(true);
  try {
    return await verify(importedKeySet(again.jwks));
  } catch (error) {
    throw explain(error, uri);
  }
}
