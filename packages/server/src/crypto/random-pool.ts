import { randomFillSync } from "node:crypto";

const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * `size` bytes from the CSPRNG, drawn from a pool filled 4 KiB at a time (as `crypto.randomUUID`
 * does): one `randomFillSync` per ~250 ids instead of one per id, a measured share of each token
 * request. Each byte is handed out once; a refill allocates a new pool, so a returned view never
 * changes. Only for sizes up to 256 bytes (ids, tokens).
 */
export function pooledRandomBytes(size: number): Buffer {
  if (size > 256) throw new RangeError(`pooledRandomBytes: at most 256 bytes, got ${size}`);
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_SIZE));
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + size);
  offset += size;
  return bytes;
}
