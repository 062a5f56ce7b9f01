import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientKeyCache, MAX_CACHED_KEY_SETS } from "../src/oauth/client-jwks.js";
import { type LoopbackHttps, startLoopbackHttps } from "./support/tls.js";

// Anyone who may register clients may give each its own jwks_uri: the cache of fetched key sets
// must stay bounded, dropping the set fetched longest ago, while recent sets stay cached.
describe("ClientKeyCache", () => {
  let keys: LoopbackHttps;
  beforeAll(async () => {
    keys = await startLoopbackHttps((path) =>
      path.startsWith("/jwks/") ? { headers: { "cache-control": "max-age=3600" }, body: '{"keys":[]}' } : undefined,
    );
  });
  afterAll(() => keys.close());

  it(`keeps at most ${MAX_CACHED_KEY_SETS} key sets, dropping the one fetched longest ago`, async () => {
    const cache = new ClientKeyCache({ allowLoopback: true }, () => 1_000_000);
    const uri = (n: number) => `${keys.origin}/jwks/${n}`;
    for (let n = 0; n <= MAX_CACHED_KEY_SETS; n++) expect((await cache.get(uri(n))).refetched).toBe(true);
    expect(cache.size).toBe(MAX_CACHED_KEY_SETS);
    // The newest sets are still served from the cache; the first one was dropped and is fetched again.
    expect((await cache.get(uri(MAX_CACHED_KEY_SETS))).refetched).toBe(false);
    expect((await cache.get(uri(1))).refetched).toBe(false);
    expect((await cache.get(uri(0))).refetched).toBe(true);
    expect(keys.hits.get("/jwks/0")).toBe(2);
    expect(keys.hits.get(`/jwks/${MAX_CACHED_KEY_SETS}`)).toBe(1);
    expect(cache.size).toBe(MAX_CACHED_KEY_SETS);
  });
});
