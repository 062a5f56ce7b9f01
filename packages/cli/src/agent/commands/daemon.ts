import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { out, printJson } from "../../output.js";
import { probeDaemon } from "../daemon/health.js";
import { ensureDaemon, stopDaemon } from "../daemon/lifecycle.js";
import { runDaemon } from "../daemon/run.js";
import { agentPaths, agentPort, redirectUri } from "../paths.js";
import { agentAction, globalOptions } from "./action.js";

export function registerDaemon(program: Command): void {
  const daemon = program
    .command("daemon")
    .description("the local agent daemon on 127.0.0.1:7998 (WARD_AGENT_PORT) that receives OAuth callbacks");

  const report = (command: Command, record: Record<string, unknown>, text: string) => {
    const options = globalOptions(command);
    if (options.json) printJson(record);
    else if (!options.quiet) out(text);
  };

  daemon
    .command("start")
    .description("start the daemon, or reuse the one already running")
    .action(
      agentAction(async (_opts: unknown, command: Command) => {
        const port = agentPort();
        const handle = await ensureDaemon(agentPaths(), port);
        report(
          command,
          { running: true, started: handle.started, replaced: handle.replaced, pid: handle.pid, port, callback: redirectUri(port) },
          `${handle.started ? "started" : "already running"}: PID ${handle.pid} on 127.0.0.1:${port} (callback ${redirectUri(port)})${
            handle.replaced ? `; replaced the idle Ward ${handle.replaced} daemon` : ""
          }`,
        );
      }),
    );

  daemon
    .command("stop")
    .description("stop the daemon")
    .action(
      agentAction(async (_opts: unknown, command: Command) => {
        const stopped = await stopDaemon(agentPaths(), agentPort());
        report(command, { stopped }, stopped ? "stopped" : "not running");
      }),
    );

  daemon
    .command("restart")
    .description("stop the daemon and start this version")
    .action(
      agentAction(async (_opts: unknown, command: Command) => {
        const port = agentPort();
        await stopDaemon(agentPaths(), port);
        const handle = await ensureDaemon(agentPaths(), port);
        report(command, { running: true, pid: handle.pid, port }, `restarted: PID ${handle.pid} on 127.0.0.1:${port}`);
      }),
    );

  daemon
    .command("status")
    .description("whether the daemon runs, its PID and version")
    .action(
      agentAction(async (_opts: unknown, command: Command) => {
        const port = agentPort();
        const probe = await probeDaemon(port);
        const record =
          probe.kind === "ward"
            ? { running: true, pid: probe.pid, version: probe.version, port }
            : { running: false, port, port_held_by_other: probe.kind === "other" };
        report(
          command,
          record,
          probe.kind === "ward"
            ? `running: PID ${probe.pid}, Ward ${probe.version}, 127.0.0.1:${port}`
            : probe.kind === "other"
              ? `not running; 127.0.0.1:${port} is held by another program`
              : "not running",
        );
      }),
    );

  daemon
    .command("logs")
    .description("print the daemon's log")
    .option("-n, --lines <n>", "last N lines", "50")
    .action(
      agentAction(async (opts: { lines: string }) => {
        const path = agentPaths().daemonLog;
        if (!existsSync(path)) return out(`(no log yet at ${path})`);
        const lines = readFileSync(path, "utf8").trimEnd().split("\n");
        out(lines.slice(-Number(opts.lines)).join("\n"));
      }),
    );

  daemon
    .command("run", { hidden: true })
    .description("run the daemon in the foreground (what `start` spawns)")
    .action(agentAction(async () => runDaemon(agentPaths(), agentPort())));
}
