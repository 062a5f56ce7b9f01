import { DAEMON_SERVICE } from "../version.js";

/** What answers on the daemon port. */
export type PortProbe =
  | { kind: "free" }
  /** `waiting`: logins and setup pages it still waits for (absent from daemons before it was added). */
  | { kind: "ward"; version: string; pid: number; waiting?: number }
  /** Something listens but is not Ward's daemon. */
  | { kind: "other" };

export async function probeDaemon(port: number, timeoutMs = 1500): Promise<PortProbe> {
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return code === "ECONNREFUSED" ? { kind: "free" } : { kind: "other" };
  }
  try {
    const body = (await response.json()) as { service?: string; version?: string; pid?: number; waiting?: unknown };
    if (response.ok && body.service === DAEMON_SERVICE && typeof body.version === "string" && typeof body.pid === "number")
      return {
        kind: "ward",
        version: body.version,
        pid: body.pid,
        waiting: typeof body.waiting === "number" ? body.waiting : undefined,
      };
  } catch {}
  return { kind: "other" };
}
