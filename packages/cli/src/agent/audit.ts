import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import type { AgentPaths } from "./paths.js";

/** One audit event: what happened to which credentials, never a secret value. */
export interface AuditEvent {
  event: "login" | "refresh" | "refresh_failed" | "logout" | "revoke" | "get" | "export" | "run" | "proxy_injection";
  provider?: string;
  connection?: string;
  detail?: string;
}

export function audit(paths: AgentPaths, event: AuditEvent): void {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  appendFileSync(paths.audit, `${JSON.stringify({ time: new Date().toISOString(), pid: process.pid, ...event })}\n`, { mode: 0o600 });
}

export function readAudit(paths: AgentPaths): (AuditEvent & { time: string; pid: number })[] {
  if (!existsSync(paths.audit)) return [];
  return readFileSync(paths.audit, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEvent & { time: string; pid: number });
}
