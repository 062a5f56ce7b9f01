/** Remembers single-use values (DPoP proof jtis) until they expire; `claim` is true only the first time. */
export interface ReplayStore {
  claim(key: string, ttlMs: number): Promise<boolean>;
}
