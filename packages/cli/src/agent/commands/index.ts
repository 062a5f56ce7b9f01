import type { Command } from "commander";
import { registerDaemon } from "./daemon.js";

/** The agent side of `ward`: login, credentials, the daemon. */
export function registerAgent(program: Command): void {
  registerDaemon(program);
}
