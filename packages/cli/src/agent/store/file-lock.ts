import { randomBytes } from "node:crypto";
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
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

/** A lock file still without a PID after this long belongs to a process that died between creating and writing it. */
const EMPTY_LOCK_STALE_MS = 2_000;

function stale(path: string, pid: number | undefined): boolean {
  if (pid !== undefined) return !alive(pid);
  try {
    return Date.now() - statSync(path).mtimeMs > EMPTY_LOCK_STALE_MS;
  } catch {
    return false; // gone already: the next attempt creates it
  }
}

/**
 * Removes a stale lock without racing another waiter that saw the same stale lock: the lock is
 * renamed away atomically (only one waiter gets it), and if what was renamed is not the stale lock
 * seen (another waiter's fresh one, created in between) it is put back.
 */
function takeOver(path: string, seenPid: number | undefined): void {
  const aside = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // another waiter took it over first
  }
  if (holder(aside) !== seenPid) {
    try {
      linkSync(aside, path); // fails if yet another lock exists: then that one stands
    } catch {}
  }
  rmSync(aside, { force: true });
}

/** One attempt at the lock: true when this process now holds it; a lock left by a process that exited is taken over. */
function tryAcquire(path: string): { held: true } | { held: false; pid: number | undefined } {
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { held: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = holder(path);
      if (attempt > 0 || !stale(path, pid)) return { held: false, pid };
      takeOver(path, pid);
    }
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
