// The peers, each in its own child process: the node:http + jose limit and oidc-provider (in memory,
// and on SQLite through a minimal adapter: see servers/oidc-provider.mjs).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startChild } from "../lib/process.mjs";

const server = (name) => fileURLToPath(new URL(`../servers/${name}.mjs`, import.meta.url));
const jsonLine = (line) => (line.startsWith("{") ? JSON.parse(line) : undefined);

async function startPeer(name, file = name, env = {}) {
  const port = await freePort();
  const secret = randomBytes(32).toString("base64url");
  const started = await startChild(name, [server(file)], {
    env: { BENCH_PORT: String(port), BENCH_SECRET: secret, ...env },
    ready: jsonLine,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    secret,
    pid: started.child.pid,
    child: started.child,
    info: started.value,
    cleanup: async () => {},
  };
}

/** The limit checks no code (servers/limit.mjs), so its codes are random and minted here. */
export async function startLimit() {
  const peer = await startPeer("limit");
  peer.mintCodes = async (count) =>
    Array.from({ length: count }, () => ({
      code: randomBytes(32).toString("base64url"),
      verifier: randomBytes(32).toString("base64url"),
    }));
  return peer;
}

/**
 * oidc-provider in memory, or with `store` "sqlite" on a fresh SQLite file (removed afterwards);
 * mintCodes(n) asks its private mint port for n codes saved through its own models.
 */
export async function startOidcProvider(store = "memory") {
  const dir = store === "sqlite" ? mkdtempSync(join(tmpdir(), "ward-bench-oidc-")) : undefined;
  const name = dir ? "oidc-provider-sqlite" : "oidc-provider";
  const peer = await startPeer(name, "oidc-provider", { BENCH_OIDC_STORE: dir ? `sqlite:${join(dir, "oidc.db")}` : "memory" });
  if (dir) peer.cleanup = async () => rmSync(dir, { recursive: true, force: true });
  peer.mintCodes = async (count) => {
    const response = await fetch(`http://127.0.0.1:${peer.info.mintPort}/?count=${count}`);
    if (!response.ok) throw new Error(`oidc-provider mint: ${response.status}`);
    return response.json();
  };
  return peer;
}
