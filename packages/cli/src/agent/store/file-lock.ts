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

/**
 * Runs `work` while holding an exclusive lock file (O_EXCL, the holder's PID inside), so processes
 * on this machine take turns. A lock left by a process that exited is taken over.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = holder(path);
      // A lock with no PID yet is being written right now; one whose process is gone is stale.
      if (pid !== undefined && !alive(pid)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new WardError("agent_store_locked", { path, pid: pid ?? "unknown", seconds: Math.round(timeoutMs / 1000) });
      await sleep(25 + Math.random() * 50);
    }
  }
  try {
    return await work();
  } finally {
    if (holder(path) === process.pid) rmSync(path, { force: true });
  }
}
