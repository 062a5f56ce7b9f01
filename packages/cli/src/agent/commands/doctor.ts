import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import { EXIT, out, printJson } from "../../output.js";
import { connectionState } from "../connection-state.js";
import { probeDaemon } from "../daemon/health.js";
import { assertOwnDaemon } from "../daemon/ownership.js";
import { headlessReason } from "../oauth/browser.js";
import { agentPaths, agentPort, redirectUri } from "../paths.js";
import { listProviders } from "../providers/registry.js";
import type { ProviderDefinition } from "../providers/types.js";
import { CredentialStore } from "../store/credential-store.js";
import type { StoreData } from "../store/model.js";
import { WARD_VERSION } from "../version.js";
import { globalOptions } from "./action.js";
import { type ClockReading, describeSkew, proxyPreloadPath, proxyPreloadProblem, readProviderClock } from "./doctor-network.js";

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** Group or other users may read or enter it (POSIX); false when it does not exist. */
function openToOthers(path: string): boolean {
  return process.platform !== "win32" && existsSync(path) && (statSync(path).mode & 0o077) !== 0;
}

function ownershipProblem(port: number): string | undefined {
  try {
    assertOwnDaemon(port);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function runChecks(): Promise<Check[]> {
  const paths = agentPaths();
  const checks: Check[] = [];
  const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
  let stored: StoreData | undefined;
  const privatePaths = [paths.home, paths.masterKeyFile, paths.store];
  const loose = privatePaths.filter((path) => openToOthers(path));
  try {
    const store = await CredentialStore.open(paths);
    const data = store.read();
    stored = data;
    add("store", true, `${paths.store} readable, master key from ${store.masterKeySource}`);
    for (const [provider, entry] of Object.entries(data.providers))
      for (const [name, c] of Object.entries(entry.connections)) {
        const { usable, state } = connectionState(c);
        add(`${provider}/${name}`, usable, state);
      }
  } catch (error) {
    add("store", false, error instanceof Error ? error.message : String(error));
  }
  const stillLoose = privatePaths.filter((path) => openToOthers(path));
  add(
    "permissions",
    stillLoose.length === 0,
    stillLoose.length
      ? `${stillLoose.join(", ")} can be read by other users and could not be tightened (owned by someone else?): chmod go-rwx them`
      : loose.length
        ? `tightened ${loose.join(", ")} to owner-only`
        : "home 0700, master key and store 0600",
  );
  let providers: ProviderDefinition[] = [];
  try {
    providers = listProviders(paths);
    add("providers", true, `${providers.length} providers`);
  } catch (error) {
    add("providers", false, (error as Error).message);
  }
  const connected = providers.filter((p) => Object.values(stored?.providers[p.name]?.connections ?? {}).some((c) => c.kind === "oauth"));
  const clocks = await Promise.all(connected.map(readProviderClock));
  connected.forEach((provider, i) => {
    const verdict = describeSkew(clocks[i] as ClockReading);
    add(`clock (${provider.name})`, verdict.ok, verdict.detail);
  });
  const port = agentPort();
  const probe = await probeDaemon(port);
  const foreign = probe.kind === "ward" ? ownershipProblem(port) : undefined;
  if (probe.kind === "other") add("daemon", false, `127.0.0.1:${port} is held by another program (ward daemon start explains)`);
  else if (foreign) add("daemon", false, foreign);
  else if (probe.kind === "ward" && probe.version !== WARD_VERSION)
    add("daemon", false, `Ward ${probe.version} runs it; run ward daemon restart`);
  else
    add(
      "daemon",
      true,
      probe.kind === "ward" ? `running, PID ${probe.pid}, callback ${redirectUri(port)}` : `not running (starts on demand on ${port})`,
    );
  const headless = headlessReason();
  add(
    "browser",
    true,
    headless
      ? `${headless}: use --flow device_code or open the printed URL yourself`
      : process.env.BROWSER
        ? `$BROWSER=${process.env.BROWSER}`
        : "OS default browser",
  );
  const preload = proxyPreloadProblem();
  add("run --proxy", !preload, preload ?? `Node children get ${proxyPreloadPath()} (routes fetch through the proxy)`);
  const proxied = process.env.HTTP_PROXY || process.env.http_proxy;
  const noProxy = `${process.env.NO_PROXY ?? ""},${process.env.no_proxy ?? ""}`;
  if (proxied && !/127\.0\.0\.1/.test(noProxy))
    add("proxy", false, "HTTP_PROXY is set but NO_PROXY lacks 127.0.0.1,localhost: callbacks may never arrive");
  return checks;
}

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check the agent's store, master key, connections, providers' clocks, daemon, browser and proxy settings")
    .action(async (_opts: unknown, command: Command) => {
      const checks = await runChecks();
      if (globalOptions(command).json) printJson(checks);
      else for (const c of checks) out(`${c.ok ? "✓" : "✗"} ${c.check}: ${c.detail}`);
      if (checks.some((c) => !c.ok)) process.exitCode = EXIT.failure;
    });
}
