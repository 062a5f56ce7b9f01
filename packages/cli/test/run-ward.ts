import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const WARD_BIN = fileURLToPath(new URL("../dist/bin/ward.js", import.meta.url));

if (!existsSync(WARD_BIN)) {
  throw new Error(`${WARD_BIN} is missing: build first (npm test does; or run \`npx tsc -b packages/cli\`)`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, WARD_LOGGING_LEVEL: "warn", NO_COLOR: "1" };
  for (const name of Object.keys(env)) if (name.startsWith("WARD_") && name !== "WARD_LOGGING_LEVEL") delete env[name];
  return env;
};

/** Runs `ward …` to completion (bounded by a timeout) and captures its output. */
export function runWard(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WARD_BIN, ...args], {
      env: { ...baseEnv(), ...options.env },
      cwd: options.cwd,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ward ${args.join(" ")} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningWard {
  child: ChildProcess;
  output: () => string;
  stderr: () => string;
  /** Resolves with the exit code once ward exited and its output is read to the end. */
  finished: Promise<number | null>;
  /** Sends SIGTERM and resolves as {@link finished} does. */
  stop(): Promise<number | null>;
}

/** Starts a long-running `ward …` and waits until stdout or stderr (logs) contains `readyText`. */
export function startWard(
  args: string[],
  readyText: string,
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<RunningWard> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WARD_BIN, ...args], {
      env: { ...baseEnv(), ...options.env },
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let ready = false;
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    // "exit" can come before the last output is read from the pipes; "close" comes after, unless a
    // process ward started still holds them (then the wait is bounded).
    const drained = new Promise<void>((done) => child.on("close", () => done()));
    const finished = exited.then(async (code) => {
      await Promise.race([drained, new Promise((done) => setTimeout(done, 2_000))]);
      return code;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ward ${args.join(" ")} did not become ready\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 20_000);
    const checkReady = () => {
      if (ready || !(stdout.includes(readyText) || stderr.includes(readyText))) return;
      ready = true;
      clearTimeout(timer);
      resolve({
        child,
        output: () => stdout,
        stderr: () => stderr,
        finished,
        stop: async () => {
          child.kill("SIGTERM");
          const bounded = setTimeout(() => child.kill("SIGKILL"), 15_000);
          const code = await finished;
          clearTimeout(bounded);
          return code;
        },
      });
    };
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
      checkReady();
    });
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
      checkReady();
    });
    child.on("exit", (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`ward ${args.join(" ")} exited with ${code} before ready\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

/** Reads `  Label   value` from ward dev's banner. */
export function bannerValue(output: string, label: string): string {
  const match = new RegExp(`^\\s+${label}\\s+(.+)$`, "m").exec(output);
  if (!match?.[1]) throw new Error(`no "${label}" line in:\n${output}`);
  return match[1].trim();
}
