import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentPaths } from "../src/agent/paths.js";
import { CredentialStore } from "../src/agent/store/credential-store.js";
import { withFileLock } from "../src/agent/store/file-lock.js";

const KEY_A = "a".repeat(64);
const KEY_B = "b".repeat(64);
const homes: string[] = [];
const freshHome = () => {
  const home = mkdtempSync(join(tmpdir(), "ward-agent-store-"));
  homes.push(home);
  return home;
};
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

const env = (home: string, extra: Record<string, string> = {}) => ({ WARD_AGENT_HOME: home, WARD_AGENT_KEYRING: "off", ...extra });
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

async function storeWithOneLogin(home: string, key = KEY_A) {
  const store = await CredentialStore.open(agentPaths(env(home)), env(home, { WARD_AGENT_MASTER_KEY: key }));
  store.saveConnection("github", "default", { kind: "oauth", access_token: "gho_secret_value", scopes: ["repo"], obtained_at: 1 });
  return store;
}

describe("agent store: AES-256-GCM at rest", () => {
  it("keeps no secret in clear text on disk, and reads back what it wrote", async () => {
    const home = freshHome();
    const store = await storeWithOneLogin(home);
    const raw = readFileSync(agentPaths(env(home)).store, "utf8");
    expect(raw).not.toContain("gho_secret_value");
    expect(JSON.parse(raw)).toMatchObject({ format: "ward-agent-store", version: 1, alg: "A256GCM" });
    expect(statSync(agentPaths(env(home)).store).mode & 0o777).toBe(0o600);
    expect(store.getConnection("github")?.connection.access_token).toBe("gho_secret_value");
  });

  it("holds several named connections per provider with a default", async () => {
    const home = freshHome();
    const store = await storeWithOneLogin(home);
    store.saveConnection("github", "work", { kind: "oauth", access_token: "work-token", obtained_at: 2 });
    expect(store.getConnection("github")?.name).toBe("default");
    expect(store.getConnection("github", "work")?.connection.access_token).toBe("work-token");
    store.saveConnection("github", "work", { kind: "oauth", access_token: "work-token-2", obtained_at: 3 }, { makeDefault: true });
    expect(store.getConnection("github")?.connection.access_token).toBe("work-token-2");
    expect(store.remove("github", "work")).toBe(true);
    expect(store.getConnection("github")?.name).toBe("default");
  });

  it.skipIf(process.platform === "win32")(
    "an existing home folder open to others (0755) becomes 0700 and a 0644 master.key becomes 0600 when the store is opened",
    async () => {
      const home = freshHome();
      const paths = agentPaths(env(home));
      chmodSync(home, 0o755);
      writeFileSync(paths.masterKeyFile, `${KEY_A}\n`, { mode: 0o644 });
      chmodSync(paths.masterKeyFile, 0o644);
      const store = await CredentialStore.open(paths, env(home));
      expect(store.masterKeySource).toBe(paths.masterKeyFile);
      expect(statSync(home).mode & 0o777).toBe(0o700);
      expect(statSync(paths.masterKeyFile).mode & 0o777).toBe(0o600);
    },
  );

  it("writers in parallel processes never undo each other: every provider each one saved is in the store", {
    timeout: 60_000,
  }, async () => {
    const home = freshHome();
    const dist = (path: string) => new URL(`../dist/agent/${path}`, import.meta.url).href;
    const writer = (n: number) => `
      const { CredentialStore } = await import(${JSON.stringify(dist("store/credential-store.js"))});
      const { agentPaths } = await import(${JSON.stringify(dist("paths.js"))});
      const store = await CredentialStore.open(agentPaths(process.env));
      for (let i = 0; i < 12; i++) store.saveConnection("p${n}-" + i, "default", { kind: "api_key", api_key: "k", obtained_at: i });`;
    const runs = [1, 2, 3].map(
      (n) =>
        new Promise<number | null>((resolve) =>
          spawn(process.execPath, ["--input-type=module", "-e", writer(n)], {
            env: { ...process.env, ...env(home, { WARD_AGENT_MASTER_KEY: KEY_A }) },
            stdio: "inherit",
          }).on("close", resolve),
        ),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0]);
    const store = await CredentialStore.open(agentPaths(env(home)), env(home, { WARD_AGENT_MASTER_KEY: KEY_A }));
    expect(Object.keys(store.read().providers)).toHaveLength(36);
  });

  it("without WARD_AGENT_MASTER_KEY or a keyring, creates a 0600 master.key and reuses it", async () => {
    const home = freshHome();
    const paths = agentPaths(env(home));
    const first = await CredentialStore.open(paths, env(home));
    first.saveConnection("slack", "default", { kind: "api_key", api_key: "xoxb-1", obtained_at: 1 });
    expect(first.masterKeySource).toBe(paths.masterKeyFile);
    expect(statSync(paths.masterKeyFile).mode & 0o777).toBe(0o600);
    const second = await CredentialStore.open(paths, env(home));
    expect(second.getConnection("slack")?.connection.api_key).toBe("xoxb-1");
  });
});

describe("agent store: failures leave the file untouched", () => {
  it("a corrupted store file is agent_store_corrupted naming the file, and nothing is overwritten", async () => {
    const home = freshHome();
    const store = await storeWithOneLogin(home);
    const path = agentPaths(env(home)).store;
    writeFileSync(path, readFileSync(path, "utf8").slice(0, 40));
    const before = sha(path);
    expect(() => store.read()).toThrow(expect.objectContaining({ code: "agent_store_corrupted", message: expect.stringContaining(path) }));
    expect(() => store.saveConnection("github", "x", { kind: "oauth", obtained_at: 1 })).toThrow(
      expect.objectContaining({ code: "agent_store_corrupted" }),
    );
    expect(sha(path)).toBe(before);
  });

  it("an altered ciphertext is agent_store_corrupted (the GCM tag fails), not a wrong key", async () => {
    const home = freshHome();
    const store = await storeWithOneLogin(home);
    const path = agentPaths(env(home)).store;
    const envelope = JSON.parse(readFileSync(path, "utf8"));
    envelope.ciphertext = `${envelope.ciphertext.slice(0, -2)}${envelope.ciphertext.endsWith("AA") ? "BB" : "AA"}`;
    writeFileSync(path, JSON.stringify(envelope));
    const before = sha(path);
    expect(() => store.read()).toThrow(
      expect.objectContaining({ code: "agent_store_corrupted", message: expect.stringContaining("authentication tag") }),
    );
    expect(sha(path)).toBe(before);
  });

  it("a wrong master key is agent_master_key_wrong naming both key ids and the key's source, and nothing is overwritten", async () => {
    const home = freshHome();
    await storeWithOneLogin(home, KEY_A);
    const path = agentPaths(env(home)).store;
    const before = sha(path);
    const wrong = await CredentialStore.open(agentPaths(env(home)), env(home, { WARD_AGENT_MASTER_KEY: KEY_B }));
    expect(() => wrong.read()).toThrow(
      expect.objectContaining({ code: "agent_master_key_wrong", message: expect.stringContaining("WARD_AGENT_MASTER_KEY") }),
    );
    expect(() => wrong.saveConnection("github", "y", { kind: "oauth", obtained_at: 1 })).toThrow(
      expect.objectContaining({ code: "agent_master_key_wrong" }),
    );
    expect(sha(path)).toBe(before);
  });

  it("a malformed WARD_AGENT_MASTER_KEY is agent_master_key_invalid with what was received", async () => {
    const home = freshHome();
    await expect(CredentialStore.open(agentPaths(env(home)), env(home, { WARD_AGENT_MASTER_KEY: "hunter2" }))).rejects.toThrow(
      expect.objectContaining({ code: "agent_master_key_invalid", message: expect.stringContaining("7 characters (not hexadecimal)") }),
    );
  });
});

describe("the lock file (refresh.lock, store.lock)", () => {
  const lockModule = new URL("../dist/agent/store/file-lock.js", import.meta.url).href;

  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    return child.pid as number;
  }

  it("a lock left by an exited process, or left empty for over 2 s, is taken over; a fresh empty one is not", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ward-lock-"));
    const path = join(dir, "refresh.lock");
    writeFileSync(path, String(await deadPid()));
    expect(await withFileLock(path, async () => readFileSync(path, "utf8"))).toBe(String(process.pid));
    writeFileSync(path, "");
    await expect(withFileLock(path, async () => "held", { timeoutMs: 300 })).rejects.toMatchObject({ code: "agent_store_locked" });
    const old = new Date(Date.now() - 5_000);
    utimesSync(path, old, old);
    expect(await withFileLock(path, async () => "held")).toBe("held");
    rmSync(dir, { recursive: true, force: true });
  });

  it("8 processes finding the same stale lock: exactly one holds it at any moment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ward-lock-"));
    const path = join(dir, "store.lock");
    const log = join(dir, "log");
    writeFileSync(path, String(await deadPid()));
    const script = `
      const { withFileLockSync } = await import(${JSON.stringify(lockModule)});
      const { appendFileSync } = await import("node:fs");
      withFileLockSync(${JSON.stringify(path)}, () => {
        appendFileSync(${JSON.stringify(log)}, "in\\n");
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        appendFileSync(${JSON.stringify(log)}, "out\\n");
      });`;
    const children = Array.from({ length: 8 }, () => spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "inherit" }));
    const codes = await Promise.all(children.map(async (child) => (await once(child, "exit"))[0]));
    expect(codes).toEqual(Array(8).fill(0));
    expect(readFileSync(log, "utf8")).toBe("in\nout\n".repeat(8));
    rmSync(dir, { recursive: true, force: true });
  });
});
