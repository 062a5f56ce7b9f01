import { OutboundFetchError, WardError } from "@ward/core";
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters } from "jose";
import { type FetchPolicy, fetchJson } from "./fetch-json.js";

type KeySet = ReturnType<typeof createLocalJWKSet>;

export interface KeyCacheOptions extends FetchPolicy {
  /** Seconds keys are used without Cache-Control (default 300); Cache-Control max-age is clamped to 60 s – 1 day. */
  defaultMaxAge?: number;
  /** At most one re-fetch for an unknown kid per this many ms (default 10 s): a flood of bad tokens cannot hammer the issuer. */
  unknownKidRefetchMs?: number;
  now?: () => number;
}

/**
 * The issuer's JWKS, cached for its Cache-Control max-age. When the cache is stale the old keys keep
 * verifying while one background fetch replaces them; an unknown `kid` (a rotation) re-fetches at
 * once, but at most once per `unknownKidRefetchMs`.
 */
export class KeyCache {
  private keys: { set: KeySet; jwks: JSONWebKeySet; fetchedAt: number; expiresAt: number } | undefined;
  private inflight: Promise<void> | undefined;
  private lastUnknownKidFetch = 0;
  private lastFailure: { at: number; error: unknown } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly jwksUri: () => Promise<string>,
    private readonly options: KeyCacheOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  private refresh(): Promise<void> {
    if (!this.inflight && this.lastFailure && this.now() - this.lastFailure.at < 5000) return Promise.reject(this.lastFailure.error);
    this.inflight ??= (async () => {
      let uri = "(jwks_uri)";
      try {
        uri = await this.jwksUri();
        const { body, maxAge } = await fetchJson(uri, this.options);
        const jwks = body as JSONWebKeySet;
        if (!jwks || !Array.isArray(jwks.keys)) throw new OutboundFetchError('its JSON has no "keys" array');
        const seconds = Math.min(86400, Math.max(60, maxAge ?? this.options.defaultMaxAge ?? 300));
        const now = this.now();
        this.keys = { set: createLocalJWKSet(jwks), jwks, fetchedAt: now, expiresAt: now + seconds * 1000 };
      } catch (error) {
        const failure =
          error instanceof OutboundFetchError ? new WardError("issuer_metadata_unavailable", { url: uri, reason: error.message }) : error;
        // The same error for 5 s: an unreachable issuer is not asked again per request.
        this.lastFailure = { at: this.now(), error: failure };
        throw failure;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** The kids currently cached (for error messages). */
  kids(): string[] {
    return (this.keys?.jwks.keys ?? []).map((key) => String(key.kid ?? "(no kid)"));
  }

  /** The cached key set when it is fresh and holds `kid` (the hot path, no promise); undefined otherwise. */
  cachedFor(kid: string | undefined): KeySet | undefined {
    const current = this.keys;
    if (!current || current.expiresAt <= this.now()) return undefined;
    return current.jwks.keys.some((key) => kid === undefined || key.kid === kid) ? current.set : undefined;
  }

  /** A key set able to resolve `header`, fetching or re-fetching as the cache rules say. */
  async keySetFor(header: JWSHeaderParameters): Promise<{ set: KeySet; known: boolean }> {
    if (!this.keys) await this.refresh();
    else if (this.keys.expiresAt <= this.now()) this.refresh().catch(() => undefined);
    const current = this.keys as NonNullable<typeof this.keys>;
    const known = current.jwks.keys.some((key) => header.kid === undefined || key.kid === header.kid);
    if (known) return { set: current.set, known };
    const now = this.now();
    if (this.inflight) {
      // A fetch is already under way (another request saw the new kid first): wait for it.
      await this.inflight.catch(() => undefined);
    } else if (now - this.lastUnknownKidFetch >= (this.options.unknownKidRefetchMs ?? 10_000)) {
      this.lastUnknownKidFetch = now;
      await this.refresh();
    } else {
      return { set: current.set, known: false };
    }
    const refreshed = this.keys as NonNullable<typeof this.keys>;
    return { set: refreshed.set, known: refreshed.jwks.keys.some((key) => key.kid === header.kid) };
  }
}
