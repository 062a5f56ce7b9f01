import { homedir } from "node:os";
import { join } from "node:path";

/** The daemon's default port; WARD_AGENT_PORT overrides it (tests use ephemeral ports). */
export const DEFAULT_AGENT_PORT = 7998;

/** Where the agent keeps its store, master key, providers, daemon files and audit log. */
export interface AgentPaths {
  home: string;
  store: string;
  masterKeyFile: string;
  providers: string;
  audit: string;
  daemonLog: string;
  daemonToken: string;
  refreshLock: string;
  /** Held while one process reads, changes and rewrites the store, so writers never undo each other. */
  storeLock: string;
}

/** WARD_AGENT_HOME, else ~/.ward/agent. */
export function agentPaths(env: NodeJS.ProcessEnv = process.env): AgentPaths {
  const home = env.WARD_AGENT_HOME || join(homedir(), ".ward", "agent");
  return {
    home,
    store: join(home, "credentials.enc"),
    masterKeyFile: join(home, "master.key"),
    providers: join(home, "providers"),
    audit: join(home, "audit.log"),
    daemonLog: join(home, "daemon.log"),
    daemonToken: join(home, "daemon.token"),
    refreshLock: join(home, "refresh.lock"),
    storeLock: join(home, "store.lock"),
  };
}

export function agentPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WARD_AGENT_PORT;
  if (!raw) return DEFAULT_AGENT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`WARD_AGENT_PORT is ${raw}; expected a port number 1-65535`);
  return port;
}

export const callbackPath = "/auth/callback/oauth";

export function redirectUri(port: number): string {
  return `http://127.0.0.1:${port}${callbackPath}`;
}
