import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { runWard } from "./run-ward.js";

export interface AgentSandbox {
  home: string;
  port: number;
  env: Record<string, string>;
  /** Control token the sandbox's daemon wrote. */
  daemonToken(): string;
  /** Stops the sandbox's daemon (if any) and deletes its home. */
  cleanup(): Promise<void>;
}

/** A temporary agent home and an ephemeral daemon port: tests never touch ~/.ward or port 7998. */
export async function agentSandbox(extraEnv: Record<string, string> = {}): Promise<AgentSandbox> {
  const home = mkdtempSync(join(tmpdir(), "ward-agent-"));
  const port = await freePort();
  const env = { WARD_AGENT_HOME: home, WARD_AGENT_PORT: String(port), WARD_AGENT_KEYRING: "off", ...extraEnv };
  return {
    home,
    port,
    env,
    daemonToken: () => readFileSync(join(home, "daemon.token"), "utf8").trim(),
    cleanup: async () => {
      await runWard(["daemon", "stop"], { env });
      rmSync(home, { recursive: true, force: true });
    },
  };
}
