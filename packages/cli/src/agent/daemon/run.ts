import { randomBytes } from "node:crypto";
import { WardError } from "@ward/core";
import { type AgentPaths, redirectUri } from "../paths.js";
import { writeFileAtomic } from "../store/atomic-write.js";
import { WARD_VERSION } from "../version.js";
import { describePortHolder } from "./port-holder.js";
import { createDaemonServer } from "./server.js";

/** Runs the daemon in this process until SIGTERM/SIGINT or POST /shutdown; logs JSON lines to stdout. */
export async function runDaemon(paths: AgentPaths, port: number): Promise<void> {
  const log = (msg: string, fields: Record<string, unknown> = {}) =>
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
  const token = randomBytes(32).toString("base64url");
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const server = createDaemonServer({ port, token, tokenFile: paths.daemonToken, log, onShutdown: () => stop() });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new WardError("agent_port_in_use", { port, holder: describePortHolder(port) }));
      else reject(error);
    });
    server.listen(port, "127.0.0.1", () => resolve());
  });
  writeFileAtomic(paths.daemonToken, token, 0o600);
  log("ward agent daemon listening", { version: WARD_VERSION, pid: process.pid, callback: redirectUri(port) });
  process.once("SIGTERM", () => stop());
  process.once("SIGINT", () => stop());
  await stopped;
  log("ward agent daemon stopping");
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
