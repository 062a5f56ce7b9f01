import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { WardError } from "@ward/core";
import type { AgentPaths } from "../paths.js";
import { writeFileAtomic } from "./atomic-write.js";
import { tightenMode } from "./private-dir.js";

export interface MasterKey {
  key: Buffer;
  /** Where it came from, for messages: "WARD_AGENT_MASTER_KEY", "OS keyring", or the key file's path. */
  source: string;
}

const KEYRING_SERVICE = "ward-agent";
const KEYRING_ACCOUNT = "master-key";

function parseHexKey(raw: string, source: string): Buffer {
  const text = raw.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    const received = text.length === 0 ? "empty" : `${text.length} characters${/^[0-9a-fA-F]*$/.test(text) ? "" : " (not hexadecimal)"}`;
    throw new WardError("agent_master_key_invalid", { source, received });
  }
  return Buffer.from(text, "hex");
}

interface Keyring {
  get(): string | undefined;
  set(value: string): void;
}

/** The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service), or undefined where there is none. */
async function osKeyring(env: NodeJS.ProcessEnv): Promise<Keyring | undefined> {
  if (env.WARD_AGENT_KEYRING === "off") return undefined;
  try {
    const { Entry } = await import("@napi-rs/keyring");
    const entry = new Entry(KEYRING_SERVICE, KEYRING_ACCOUNT);
    // Probe once: on Linux without a Secret Service (no D-Bus session) this throws, and the key file is used.
    const probe = entry.getPassword() ?? undefined;
    return { get: () => probe, set: (value) => entry.setPassword(value) };
  } catch {
    return undefined;
  }
}

/**
 * The master key of the agent store, from (in order) WARD_AGENT_MASTER_KEY, an existing master.key
 * file, the OS keyring; when none has one and there is no store yet, a new random key is stored in
 * the keyring, or, where there is no keyring, in master.key with mode 0600.
 */
export async function loadMasterKey(paths: AgentPaths, env: NodeJS.ProcessEnv = process.env): Promise<MasterKey> {
  if (env.WARD_AGENT_MASTER_KEY !== undefined)
    return { key: parseHexKey(env.WARD_AGENT_MASTER_KEY, "WARD_AGENT_MASTER_KEY"), source: "WARD_AGENT_MASTER_KEY" };
  if (existsSync(paths.masterKeyFile)) {
    tightenMode(paths.masterKeyFile, 0o600);
    return { key: parseHexKey(readFileSync(paths.masterKeyFile, "utf8"), paths.masterKeyFile), source: paths.masterKeyFile };
  }
  const keyring = await osKeyring(env);
  const stored = keyring?.get();
  if (stored) return { key: parseHexKey(stored, "OS keyring"), source: "OS keyring" };
  // A store exists, so its key is somewhere else (an unset variable, another keyring): a new key
  // would only leave a key file that opens nothing.
  if (existsSync(paths.store))
    throw new WardError("agent_master_key_missing", {
      path: paths.store,
      tried: `WARD_AGENT_MASTER_KEY (unset), ${paths.masterKeyFile} (absent), the OS keyring (${keyring ? "no entry" : "unavailable"})`,
    });
  const fresh = randomBytes(32);
  if (keyring) {
    try {
      keyring.set(fresh.toString("hex"));
      return { key: fresh, source: "OS keyring" };
    } catch {
      // The keyring answered reads but refuses writes (locked collection): fall back to the file.
    }
  }
  writeFileAtomic(paths.masterKeyFile, `${fresh.toString("hex")}\n`, 0o600);
  return { key: fresh, source: paths.masterKeyFile };
}
