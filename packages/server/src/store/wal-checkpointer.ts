import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type SQLite from "better-sqlite3";

/** How often the worker copies committed WAL frames into the database file. */
const CHECKPOINT_INTERVAL_MS = 200;
/** SQLite's own default, restored when the worker is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/**
 * The server connection's threshold while the worker runs: it bounds the WAL (32 MiB of 4 KiB pages)
 * and makes the WAL restart, whose header fsync stalls the event loop, eight times rarer than SQLite's default.
 */
export const SERVER_AUTOCHECKPOINT_PAGES = 8192;

/**
 * The worker's code: its own connection to the same file, a PASSIVE checkpoint every interval
 * (never waits for a lock, never blocks the server's writes), closed on "stop". Inline, so it runs
 * the same from the TypeScript sources (tests) and from dist/.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.driverPath);
const db = new SQLite(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const checkpoint = () => db.pragma("wal_checkpoint(PASSIVE)");
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  try { checkpoint(); } catch {}
  db.close();
  parentPort.close();
});
parentPort.postMessage("ready");
`;

export interface WalCheckpointer {
  /** Stops the worker and closes its connection; the server's connection checkpoints on close. */
  stop(): Promise<void>;
  /** The worker thread (tests end it to check the fallback to SQLite's own checkpoints). */
  readonly thread: Worker;
}

/**
 * Moves WAL checkpoints off the event loop. By default SQLite checkpoints inside the COMMIT that
 * crosses 1000 WAL pages: that request (and every request queued behind it) waits for the copy and
 * its fsync, measured as 10–25 ms stalls in the token benchmarks. Here a worker thread with its own
 * connection checkpoints every 200 ms, and the server's connection checkpoints only past
 * {@link SERVER_AUTOCHECKPOINT_PAGES}. The worker alone is not enough: under sustained writes its
 * checkpoint never finds the WAL idle, so the WAL is never started over and grows without bound
 * (measured: 590 MB after 20 s of client_credentials load). The server's own, rare checkpoint copies
 * only the few frames the worker has not, and lets the next COMMIT start the WAL over.
 * When the worker cannot start or dies, the server's connection gets SQLite's default back.
 */
export function startWalCheckpointer(native: SQLite.Database, path: string, onProblem: (reason: string) => void): WalCheckpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, driverPath: createRequire(import.meta.url).resolve("better-sqlite3"), intervalMs: CHECKPOINT_INTERVAL_MS },
    resourceLimits: { maxOldGenerationSizeMb: 16 },
  });
  worker.unref();
  let stopping = false;
  // Until the worker says it is ready (it starts while the server goes on starting), SQLite's own checkpoints stay on.
  worker.once("message", () => {
    if (!stopping && native.open) native.pragma(`wal_autocheckpoint = ${SERVER_AUTOCHECKPOINT_PAGES}`);
  });
  worker.on("error", (error) => {
    if (!stopping) onProblem(error.message);
  });
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      if (native.open) native.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
      if (!stopping) onProblem("the checkpoint worker exited");
      resolve();
    }),
  );
  return {
    thread: worker,
    async stop() {
      stopping = true;
      worker.postMessage("stop");
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
