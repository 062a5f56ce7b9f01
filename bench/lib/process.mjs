// Child processes of the benchmark: each server runs in its own process so its CPU and peak RSS
// (VmHWM) are its own, and a crash in one contender cannot take the load generator down with it.
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** A free loopback port (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A /proc/<pid>/status size in MB (e.g. VmHWM, VmRSS), or null where /proc is absent. */
function statusMb(pid, field) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${field}:`));
    return line ? Math.round(Number.parseInt(line.split(/\s+/)[1], 10) / 1024) : null;
  } catch {
    return null;
  }
}

/** Peak resident set size of a live process since it started, in MB (VmHWM). */
export const peakRssMb = (pid) => statusMb(pid, "VmHWM");

/**
 * Starts a new peak-RSS window for a live process (Linux: "5" to /proc/<pid>/clear_refs resets
 * VmHWM to the current RSS); returns the peak of the window that ends, in MB. False where not allowed.
 */
export function restartPeakRss(pid) {
  const peak = peakRssMb(pid);
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return peak;
  } catch {
    return false;
  }
}

/** Resident set size of a live process now, in MB (VmRSS). */
export const currentRssMb = (pid) => statusMb(pid, "VmRSS");

/** Children still running: killed when the benchmark exits, even on a crash, so no server outlives it. */
const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** CPU time (user + system, seconds) a live process has used, from /proc/<pid>/stat; NaN where /proc is absent. */
export function cpuSeconds(pid) {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are 14th and 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds the whole machine has been busy (every core: user, nice, system, irq, softirq, steal), from
 * `/proc/stat`. Around a run it counts what the server's own CPU time leaves out, e.g. PostgreSQL's backends.
 */
export function machineBusySeconds() {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  return (Number(user) + Number(nice) + Number(system) + Number(irq) + Number(softirq) + Number(steal)) / CLOCK_TICKS;
}

/**
 * The kernel's DAMON monitors that are on (`/sys/kernel/mm/damon/admin/kdamonds`), or [] when none are or
 * the kernel has none. Some virtual machines run one for the host's memory reclaim: it samples every
 * `sample_us` and, on this project's machines, adds a burst of latency to the half-peak runs' answers
 * each time, ward-postgres's most (bench/README part 11), so the report names it.
 */
export function damonMonitors() {
  const root = "/sys/kernel/mm/damon/admin/kdamonds";
  const read = (path) => readFileSync(join(root, path), "utf8").trim();
  const monitors = [];
  let count = 0;
  try {
    count = Number(read("nr_kdamonds"));
  } catch {
    return monitors;
  }
  for (let i = 0; i < count; i++) {
    try {
      if (read(`${i}/state`) !== "on") continue;
      const context = `${i}/contexts/0`;
      monitors.push({
        pid: Number(read(`${i}/pid`)),
        operations: read(`${context}/operations`),
        sample_ms: Number(read(`${context}/monitoring_attrs/intervals/sample_us`)) / 1000,
        actions: readdirSafe(join(root, `${context}/schemes`)).map((scheme) => read(`${context}/schemes/${scheme}/action`)),
      });
    } catch {
      // A monitor without the usual files (another kernel version): not reported.
    }
  }
  return monitors;
}

function readdirSafe(dir) {
  try {
    return readdirSync(dir).filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
}

/** USER_HZ: 100 on every Linux the benchmark targets. */
const CLOCK_TICKS = 100;

/**
 * V8 flags for every server the bench starts. The memory reducer runs major GCs (with helper threads
 * on both cores) some 8 s after a process's allocation rate drops: an idle contender did so in the
 * middle of another's half-peak run (oidc-provider, ~80 ms of CPU over 100 ms, while Ward on
 * PostgreSQL answered 88 ms late). A contender that is not being measured now stays quiet; under
 * load the reducer does nothing, so the measured runs are unchanged.
 */
const IDLE_QUIET_FLAGS = ["--no-memory-reducer"];

/**
 * Starts `node <args>` and resolves to { child, value, readyMs } once it is ready: when `ready(line)`
 * returns a value for a line of its stdout or stderr, or when the async `probe()` (polled every
 * 10 ms) returns one. Rejects, with the last lines it printed, when it exits first or after `timeoutMs`.
 */
export function startChild(name, args, { env = {}, ready = () => undefined, probe, timeoutMs = 30_000, cwd } = {}) {
  const started = performance.now();
  const child = spawn(process.execPath, [...IDLE_QUIET_FLAGS, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const tail = [];
  const copyTo = process.env.BENCH_OUTPUT_DIR ? join(process.env.BENCH_OUTPUT_DIR, `${name}.log`) : undefined;
  if (process.env.BENCH_OUTPUT_DIR) mkdirSync(process.env.BENCH_OUTPUT_DIR, { recursive: true });
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) {
        child.kill("SIGKILL");
        reject(new Error(`${name}: ${error}\n${tail.join("\n")}`));
      } else resolve({ child, value, readyMs: performance.now() - started });
    };
    const timer = setTimeout(() => finish(`not ready after ${timeoutMs} ms`), timeoutMs);
    const onLine = (line) => {
      if (copyTo) appendFileSync(copyTo, `${line}\n`);
      if (tail.length >= 20) tail.shift();
      tail.push(line);
      if (done) return;
      try {
        const value = ready(line);
        if (value !== undefined) finish(null, value);
      } catch (error) {
        finish(error.message);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop();
        for (const line of lines) onLine(line);
      });
    }
    child.once("exit", (code, signal) => finish(`exited (${code ?? signal}) before it was ready`));
    if (probe) {
      const poll = async () => {
        if (done) return;
        const value = await probe().catch(() => undefined);
        if (value !== undefined) finish(null, value);
        else setTimeout(poll, 10);
      };
      poll();
    }
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child is gone. */
export function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
