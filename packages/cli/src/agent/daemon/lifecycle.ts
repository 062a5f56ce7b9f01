import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { WardError } from "@ward/core";
import type { AgentPaths } from "../paths.js";
import { WARD_VERSION } from "../version.js";
import { probeDaemon } from "./health.js";
import { assertOwnDaemon } from "./ownership.js";
import { describePortHolder, listeningPid } from "./port-holder.js";

export interface DaemonHandle {
  port: number;
  pid: number;
  /** True when this call started it. */
  started: boolean;
  /** The version of an idle daemon this call stopped because it was not this CLI's version. */
  replaced?: string;
}

const WARD_BIN = fileURLToPath(new URL("../../bin/ward.js", import.meta.url));

async function waitForHealth(port: number, seconds: number): Promise<{ pid: number } | undefined> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const probe = await probeDaemon(port);
    if (probe.kind === "ward") return { pid: probe.pid };
    await sleep(100);
  }
  return undefined;
}

function withoutMasterKey(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { WARD_AGENT_MASTER_KEY: _key, ...rest } = env;
  return rest;
}

/**
 * Makes sure Ward's daemon of this version listens on 127.0.0.1:port: reuses a running one, starts
 * one (detached, logging to daemon.log) when the port is free, replaces an idle daemon of another
 * Ward version, and refuses when another program holds the port or the other version is mid-login.
 */
export async function ensureDaemon(paths: AgentPaths, port: number, env: NodeJS.ProcessEnv = process.env): Promise<DaemonHandle> {
  const probe = await probeDaemon(port);
  let replaced: string | undefined;
  if (probe.kind === "ward") {
    assertOwnDaemon(port);
    if (probe.version === WARD_VERSION) return { port, pid: probe.pid, started: false };
    if (probe.waiting !== 0) {
      const reason =
        probe.waiting === undefined
          ? "it does not say whether a login is in progress"
          : `it is waiting for ${probe.waiting} browser login(s) or setup page(s)`;
      throw new WardError("agent_daemon_version_mismatch", { port, running: probe.version, expected: WARD_VERSION, reason });
    }
    await stopDaemon(paths, port);
    replaced = probe.version;
  }
  if (probe.kind === "other") throw new WardError("agent_port_in_use", { port, holder: describePortHolder(port) });
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const log = openSync(paths.daemonLog, "a", 0o600);
  const child = spawn(process.execPath, [WARD_BIN, "daemon", "run"], {
    detached: true,
    stdio: ["ignore", log, log],
    // The long-lived daemon never holds WARD_AGENT_MASTER_KEY: with a key given that way, refresh runs in the CLI.
    env: { ...withoutMasterKey(env), WARD_AGENT_HOME: paths.home, WARD_AGENT_PORT: String(port) },
  });
  child.unref();
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const seconds = 10;
  const up = await Promise.race([waitForHealth(port, seconds), exited.then(() => undefined)]);
  if (!up) {
    const now = await probeDaemon(port);
    if (now.kind === "other") throw new WardError("agent_port_in_use", { port, holder: describePortHolder(port) });
    throw new WardError("agent_daemon_unreachable", { port, seconds, reason: `see ${paths.daemonLog}` });
  }
  assertOwnDaemon(port); // another user's program could have taken the port while ours started
  return { port, pid: up.pid, started: true, replaced };
}

/** The control token the running daemon wrote (0600) for this user's CLI. */
export function daemonToken(paths: AgentPaths): string {
  if (!existsSync(paths.daemonToken)) throw new Error(`${paths.daemonToken} is missing: run \`ward daemon restart\``);
  return readFileSync(paths.daemonToken, "utf8").trim();
}

/** Stops Ward's daemon on the port; false when none ran. */
export async function stopDaemon(paths: AgentPaths, port: number): Promise<boolean> {
  const probe = await probeDaemon(port);
  if (probe.kind === "free") return false;
  if (probe.kind === "other") throw new WardError("agent_port_in_use", { port, holder: describePortHolder(port) });
  assertOwnDaemon(port);
  // Signal only the process that really holds the port: /health could name any PID.
  const holder = listeningPid(port);
  if (holder !== undefined && holder !== probe.pid) throw new WardError("agent_port_in_use", { port, holder: describePortHolder(port) });
  try {
    await fetch(`http://127.0.0.1:${port}/shutdown`, {
      method: "POST",
      headers: { authorization: `Bearer ${daemonToken(paths)}` },
      signal: AbortSignal.timeout(2000),
    });
  } catch {
    process.kill(probe.pid, "SIGTERM");
  }
  for (let i = 0; i < 50; i++) {
    if ((await probeDaemon(port, 500)).kind === "free") return true;
    await sleep(100);
  }
  process.kill(probe.pid, "SIGKILL");
  return true;
}
