import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type SQLite from "better-sqlite3";

/** When the worker checkpoints (the server's settings below; tests pass smaller ones). */
export interface CheckpointPolicy {
  /** How often the worker looks at the WAL. */
  pollMs: number;
  /** Checkpoint as soon as this many committed frames (pages) wait to be copied… */
  maxPendingFrames: number;
  /** …or when any frame has waited this long since the last checkpoint. */
  maxIntervalMs: number;
  /** The server connection's own `wal_autocheckpoint` while the worker runs (see SERVER_POLICY). */
  serverAutocheckpointPages: number;
  /** Within this many frames of that threshold the worker keeps up closely (see SERVER_POLICY)… */
  nearRestartFrames: number;
  /** …looking this often… */
  nearRestartPollMs: number;
  /** …and checkpointing as soon as this many frames wait. */
  nearRestartPendingFrames: number;
  /** The wal-index file the WAL's state is read from (default: the database's `-shm`); unreadable means a checkpoint every poll. */
  walIndexPath?: string;
}

/**
 * The worker checkpoints rarely, because each checkpoint that copies the whole WAL lets the next
 * COMMIT start the WAL over, and that COMMIT fsyncs the WAL header on the event loop while it holds
 * the write lock (synchronous=NORMAL): 10–14 ms on this kind of disk (strace on the main thread).
 * A checkpoint every 200 ms made that five stalls a second at moderate load. Checkpoints of many
 * frames hurt too: their copy and fsyncs slow the server's own WAL writes (half-peak p99 40–60 ms
 * with 8192 frames). 1024 frames (4 MiB of 4 KiB pages) or 5 s measured best, though 256–2048 were
 * within this machine's noise; 5 s also bounds how long a commit waits in the WAL before it is synced.
 *
 * The server's connection keeps a checkpoint threshold of its own. Under writes that never pause,
 * the worker's checkpoints never find the WAL idle and it is never started over (measured: 590 MB
 * after 20 s of client_credentials load); past 32768 frames (128 MiB) the server's connection
 * checkpoints the few frames the worker has not copied and its next COMMIT starts the WAL over:
 * one stall of two or three fsyncs per 32768 frames (every ~3.5 s at 1500 refresh grants a second;
 * at 8192 frames it was every 0.9 s and the refresh benchmark's half-peak p99 was 20–176 ms).
 *
 * That stall is mostly the server connection's checkpoint of whatever the worker has not copied yet
 * (strace: a WAL fsync, the copy, then the database file's truncate and fsync); the event loop's
 * longest delay around each start-over was 5–28 ms, median 13.5 (refresh grants at 1190 a second,
 * 18 start-overs). So within 4096 frames of the threshold the worker looks every 10 ms and copies
 * as soon as 32 frames wait; the server connection finds almost nothing left: 2–9 ms, median 4.
 */
export const SERVER_POLICY: CheckpointPolicy = {
  pollMs: 200,
  maxPendingFrames: 1024,
  maxIntervalMs: 5000,
  serverAutocheckpointPages: 32768,
  nearRestartFrames: 4096,
  nearRestartPollMs: 10,
  nearRestartPendingFrames: 32,
};
/** SQLite's own default, restored when the worker is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * The worker's code: its own connection to the same file and a PASSIVE checkpoint (never waits for a
 * lock, never blocks the server's writes) when the policy says so, closed on "stop". The frames
 * waiting are read from the wal-index header (https://www.sqlite.org/walformat.html, native byte
 * order): mxFrame, the last committed frame, at byte 16; nBackfill, the frames already copied, at
 * byte 96. Inline, so it runs the same from the TypeScript sources (tests) and from dist/.
 */
const WORKER_SOURCE = `
const { closeSync, openSync, readSync } = require("node:fs");
const { endianness } = require("node:os");
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.driverPath);
const policy = workerData.policy;
const db = new SQLite(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const header = Buffer.alloc(100);
const read32 = endianness() === "LE" ? (at) => header.readUInt32LE(at) : (at) => header.readUInt32BE(at);
let walIndex;
let lastFrame = 0;
const pendingFrames = () => {
  try {
    walIndex ??= openSync(policy.walIndexPath ?? workerData.path + "-shm", "r");
    if (readSync(walIndex, header, 0, 100, 0) < 100) return undefined;
    lastFrame = read32(16);
    return Math.max(0, lastFrame - read32(96));
  } catch {
    return undefined;
  }
};
let lastCheckpoint = Date.now();
const checkpoint = () => {
  db.pragma("wal_checkpoint(PASSIVE)");
  lastCheckpoint = Date.now();
};
const nearRestart = () => lastFrame >= policy.serverAutocheckpointPages - policy.nearRestartFrames;
const due = () => {
  const pending = pendingFrames();
  if (pending === undefined) return true;
  if (nearRestart()) return pending >= policy.nearRestartPendingFrames;
  return pending >= policy.maxPendingFrames || (pending > 0 && Date.now() - lastCheckpoint >= policy.maxIntervalMs);
};
// Every nearRestartPollMs while near the server connection's threshold, else every pollMs.
let timer;
const poll = () => {
  if (due()) checkpoint();
  timer = setTimeout(poll, nearRestart() ? policy.nearRestartPollMs : policy.pollMs);
};
timer = setTimeout(poll, policy.pollMs);
parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearTimeout(timer);
  try { checkpoint(); } catch {}
  if (walIndex !== undefined) closeSync(walIndex);
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
 * connection checkpoints, and the server's connection only past a high threshold that keeps the
 * WAL bounded under any load ({@link SERVER_POLICY}). When the worker cannot start or dies, the server's
 * connection gets SQLite's default back.
 */
export function startWalCheckpointer(
  native: SQLite.Database,
  path: string,
  onProblem: (reason: string) => void,
  policy: CheckpointPolicy = SERVER_POLICY,
): WalCheckpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, driverPath: createRequire(import.meta.url).resolve("better-sqlite3"), policy },
    resourceLimits: { maxOldGenerationSizeMb: 16 },
  });
  worker.unref();
  let stopping = false;
  // Until the worker says it is ready (it starts while the server goes on starting), SQLite's own checkpoints stay on.
  worker.once("message", () => {
    if (!stopping && native.open) native.pragma(`wal_autocheckpoint = ${policy.serverAutocheckpointPages}`);
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
