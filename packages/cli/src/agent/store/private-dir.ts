import { chmodSync, mkdirSync, statSync } from "node:fs";

/**
 * Makes `path` a folder only its owner can enter (0700): created so, and tightened when it already
 * exists with group or other access (mkdir's mode applies only to folders it creates).
 */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  tightenMode(path, 0o700);
}

/** Clears the group and other bits of a file or folder this user owns (POSIX only). */
export function tightenMode(path: string, mode: number): void {
  if (process.platform === "win32") return;
  const stat = statSync(path);
  if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(path, mode);
}
