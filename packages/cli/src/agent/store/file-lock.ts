import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { WardError } from "@ward/core";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function holder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** One attempt at the lock: true when this process now holds it; a lock left by a process that exited is removed. */
function tryAcquire(path: string): { held: true } | { held: false; pid: number | undefined } {
  try {
    const fd = openSync(path, "wx", 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return { held: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const pid = holder(path);
    // A lock with no PID yet is being written right now; one whose process is gone is stale.
    if (pid !== undefined && !alive(pid)) {
      rmSync(path, { force: true });
      return tryAcquire(path);
    }
    return { held: false, pid };
  }
}

function release(path: string): void {
  if (holder(path) === process.pid) rmSync(path, { force: true });
}

const lockedError = (path: string, pid: number | undefined, timeoutMs: number) =>
  new WardError("agent_store_locked", { path, pid: pid ?? "unknown", seconds: Math.round(timeoutMs / 1000) });

/**
 * Runs `work` while holding an exclusive lock file (O_EXCL, the holder's PID inside), so processes
 * on this machine take turns. A lock left by a process that exited is taken over.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = tryAcquire(path); !attempt.held; attempt = tryAcquire(path)) {
    if (Date.now() > deadline) throw lockedError(path, attempt.pid, timeoutMs);
    await sleep(25 + Math.random() * 50);
  }
  try {
    return await work();
  } finally {
    release(path);
  }
}

/** withFileLock for short synchronous work (a read-modify-write of the store): waits by blocking. */
export function withFileLockSync<T>(path: string, work: () => T, options: { timeoutMs?: number } = {}): T {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = tryAcquire(path); !attempt.held; attempt = tryAcquire(path)) {
    if (Date.now() > deadline) throw lockedError(path, attempt.pid, timeoutMs);
    Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
  }
  try {
    return work();
  } finally {
    release(path);
  }
}
