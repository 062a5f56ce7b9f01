import { existsSync, readFileSync } from "node:fs";
import { WardError } from "@ward/core";
import type { AgentPaths } from "../paths.js";
import { writeFileAtomic } from "./atomic-write.js";
import { type Envelope, envelopeProblem, keyId, open, seal } from "./envelope.js";
import { withFileLockSync } from "./file-lock.js";
import { loadMasterKey, type MasterKey } from "./master-key.js";
import { type ClientRegistration, type Connection, emptyStore, type StoreData } from "./model.js";
import { ensurePrivateDir } from "./private-dir.js";

export const DEFAULT_CONNECTION = "default";

/**
 * The encrypted credential store (AES-256-GCM under the master key). Reads never repair: a
 * damaged file or a wrong key is an error and the file is left exactly as it was.
 */
export class CredentialStore {
  private constructor(
    readonly paths: AgentPaths,
    private readonly master: MasterKey,
  ) {}

  static async open(paths: AgentPaths, env: NodeJS.ProcessEnv = process.env): Promise<CredentialStore> {
    ensurePrivateDir(paths.home);
    return new CredentialStore(paths, await loadMasterKey(paths, env));
  }

  get masterKeySource(): string {
    return this.master.source;
  }

  read(): StoreData {
    const path = this.paths.store;
    if (!existsSync(path)) return emptyStore();
    let envelope: Envelope;
    try {
      envelope = JSON.parse(readFileSync(path, "utf8")) as Envelope;
    } catch (error) {
      throw new WardError("agent_store_corrupted", { path, reason: `it is not valid JSON (${(error as Error).message})` });
    }
    const problem = envelopeProblem(envelope);
    if (problem) throw new WardError("agent_store_corrupted", { path, reason: problem });
    const current = keyId(this.master.key);
    if (envelope.key_id !== current)
      throw new WardError("agent_master_key_wrong", {
        path,
        expected_key: envelope.key_id,
        source: this.master.source,
        received_key: current,
      });
    let plaintext: string;
    try {
      plaintext = open(this.master.key, envelope);
    } catch {
      throw new WardError("agent_store_corrupted", { path, reason: "its authentication tag does not verify (the ciphertext was altered)" });
    }
    const data = JSON.parse(plaintext) as StoreData;
    if (data.version !== 1 || typeof data.providers !== "object")
      throw new WardError("agent_store_corrupted", { path, reason: "its decrypted content has no version 1 providers table" });
    return data;
  }

  write(data: StoreData): void {
    writeFileAtomic(this.paths.store, `${JSON.stringify(seal(this.master.key, JSON.stringify(data)))}\n`, 0o600);
  }

  /**
   * Read-modify-write under the store lock: without it a login saving one provider could write back
   * the copy it read before a parallel refresh rotated another's refresh token, losing the new one.
   */
  update(change: (data: StoreData) => void): StoreData {
    return withFileLockSync(this.paths.storeLock, () => {
      const data = this.read();
      change(data);
      this.write(data);
      return data;
    });
  }

  getConnection(provider: string, connection?: string): { name: string; connection: Connection } | undefined {
    const entry = this.read().providers[provider];
    if (!entry) return undefined;
    const name = connection ?? entry.default_connection;
    const found = entry.connections[name];
    return found ? { name, connection: found } : undefined;
  }

  saveConnection(provider: string, name: string, connection: Connection, options: { makeDefault?: boolean } = {}): void {
    this.update((data) => {
      const entry = data.providers[provider] ?? { default_connection: name, connections: {} };
      data.providers[provider] = entry;
      entry.connections[name] = connection;
      if (options.makeDefault || !entry.connections[entry.default_connection]) entry.default_connection = name;
    });
  }

  saveClient(provider: string, client: ClientRegistration | undefined): void {
    this.update((data) => {
      const entry = data.providers[provider] ?? { default_connection: DEFAULT_CONNECTION, connections: {} };
      data.providers[provider] = entry;
      if (client) entry.client = client;
      else delete entry.client;
    });
  }

  /** Removes one connection (or, without a name, the provider's whole entry with its client). */
  remove(provider: string, connection?: string): boolean {
    let removed = false;
    this.update((data) => {
      const entry = data.providers[provider];
      if (!entry) return;
      if (connection === undefined) {
        delete data.providers[provider];
        removed = true;
        return;
      }
      if (!entry.connections[connection]) return;
      delete entry.connections[connection];
      removed = true;
      if (entry.default_connection === connection) entry.default_connection = Object.keys(entry.connections)[0] ?? DEFAULT_CONNECTION;
    });
    return removed;
  }
}
