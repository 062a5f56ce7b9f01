import { readdirSync, readFileSync, readlinkSync } from "node:fs";

interface Listener {
  inode: string;
  uid: number;
}

/** The listening TCP sockets on `port` (any address, IPv4 and IPv6), from /proc/net (Linux). */
function listeners(port: number): Listener[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const found: Listener[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode; st 0A is LISTEN.
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === "0A") found.push({ inode: cols[9] ?? "0", uid: Number(cols[7]) });
    }
  }
  return found;
}

const listeningInode = (port: number): string | undefined => listeners(port)[0]?.inode;

/** The user ids owning listeners on `port`; empty where /proc does not tell (not Linux). */
export function listenerUids(port: number): number[] {
  return [...new Set(listeners(port).map((l) => l.uid))];
}

/** The PID of the process listening on `port`, where /proc shows it (Linux, this user's processes). */
export function listeningPid(port: number): number | undefined {
  const inode = listeningInode(port);
  if (!inode || inode === "0") return undefined;
  const target = `socket:[${inode}]`;
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {}
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return Number(pid);
      } catch {}
    }
  }
  return undefined;
}

/**
 * Who listens on a local TCP port, from /proc (Linux): "PID 1234 (python3 -m http.server)", or a
 * sentence saying the PID is not visible (another user's process, or no /proc).
 */
export function describePortHolder(port: number): string {
  const pid = listeningPid(port);
  if (pid !== undefined) {
    let command = "";
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    } catch {}
    return `PID ${pid}${command ? ` (${command.slice(0, 120)})` : ""}`;
  }
  return `a process whose PID is not visible to this user (find it with lsof -nP -iTCP:${port} -sTCP:LISTEN)`;
}
