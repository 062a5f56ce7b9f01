import { isWardError, WardError } from "@ward/core";
import { checkConfigSafety, createWard, formatProblemLine, type LoadResult, type StartedWard, type Ward } from "@ward/server";
import { pino } from "pino";
import { EXIT, err } from "../output.js";

/** Prints every configuration problem, one line each, and exits 1 when there is any. */
export function refuseUnsafe(loaded: LoadResult): void {
  const problems = [...loaded.problems, ...checkConfigSafety(loaded.config)];
  if (problems.length === 0) return;
  err(`ward: refusing to start, ${problems.length} configuration problem(s):`);
  for (const problem of problems) err(formatProblemLine(problem));
  process.exit(EXIT.failure);
}

/** Creates and starts Ward, and stops it gracefully on SIGTERM / SIGINT. */
export async function startWard(loaded: LoadResult, onStarted: (ward: Ward, started: StartedWard) => Promise<void> | void): Promise<void> {
  refuseUnsafe(loaded);
  let ward: Ward;
  let started: StartedWard;
  try {
    // Logs go to stderr so that stdout carries only what the command prints (e.g. `ward dev --json`).
    const logger = pino({ level: loaded.config.logging.level, base: { service: "ward" } }, pino.destination(2));
    ward = await createWard(loaded.config, { logger });
    started = await ward.start();
  } catch (error) {
    if (isWardError(error)) {
      err(`✗ ${error.code}: ${error.message}`);
      err(`  Fix: ${error.definition.fix}`);
    } else if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
      err(`✗ address already in use: ${e.address ?? "?"}:${e.port ?? "?"}. Another process listens there; stop it or pick another port.`);
    } else {
      err(`✗ ward could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exit(EXIT.failure);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    ward.logger.info({ signal }, "shutting down");
    try {
      await ward.stop();
      process.exit(EXIT.ok);
    } catch (error) {
      ward.logger.error({ err: error }, "shutdown failed");
      process.exit(EXIT.failure);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await onStarted(ward, started);
}

export { WardError };
