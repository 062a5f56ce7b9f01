// The two peers, each in its own child process: the node:http + jose limit and oidc-provider.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { freePort, startChild } from "../lib/process.mjs";

const server = (name) => fileURLToPath(new URL(`../servers/${name}.mjs`, import.meta.url));
const jsonLine = (line) => (line.startsWith("{") ? JSON.parse(line) : undefined);

async function startPeer(name) {
  const port = await freePort();
  const secret = randomBytes(32).toString("base64url");
  const started = await startChild(name, [server(name)], { env: { BENCH_PORT: String(port), BENCH_SECRET: secret }, ready: jsonLine });
  return {
    url: `http://127.0.0.1:${port}`,
    secret,
    pid: started.child.pid,
    child: started.child,
    info: started.value,
    cleanup: async () => {},
  };
}

export const startLimit = () => startPeer("limit");

/** oidc-provider; mintCodes(n) asks its private mint port for n codes saved through its own models. */
export async function startOidcProvider() {
  const peer = await startPeer("oidc-provider");
  peer.mintCodes = async (count) => {
    const response = await fetch(`http://127.0.0.1:${peer.info.mintPort}/?count=${count}`);
    if (!response.ok) throw new Error(`oidc-provider mint: ${response.status}`);
    return response.json();
  };
  return peer;
}
