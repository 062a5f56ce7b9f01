import type { Command } from "commander";
import { registerClientMetadata } from "./client-metadata.js";
import { registerCredentials } from "./credentials.js";
import { registerDaemon } from "./daemon.js";
import { registerDoctor } from "./doctor.js";
import { registerGet } from "./get.js";
import { registerList } from "./list.js";
import { registerLogin } from "./login.js";
import { registerInspect, registerProviders } from "./providers.js";

/** The agent side of `ward`: login, credentials, the daemon. */
export function registerAgent(program: Command): void {
  registerLogin(program);
  registerGet(program);
  registerProviders(program);
  registerInspect(program);
  registerList(program);
  registerCredentials(program);
  registerDaemon(program);
  registerDoctor(program);
  registerClientMetadata(program);
}
