import { spawn } from "node:child_process";

/** Why a browser probably cannot open here (SSH session, no display), or undefined. */
export function headlessReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BROWSER) return undefined;
  if (env.SSH_CONNECTION || env.SSH_TTY) return "this is an SSH session";
  if (process.platform === "linux" && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return "there is no display (DISPLAY and WAYLAND_DISPLAY are unset)";
  return undefined;
}

/** Opens `url` with $BROWSER (a command; `%s` is replaced by the URL, else the URL is appended) or the OS default browser. */
export async function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const browser = env.BROWSER?.split(":")[0]?.trim();
  if (browser) {
    const parts = browser.split(/\s+/);
    const args = parts.slice(1);
    const withUrl = args.some((a) => a.includes("%s")) ? args.map((a) => a.replaceAll("%s", url)) : [...args, url];
    const child = spawn(parts[0] as string, withUrl, { stdio: "ignore", detached: true, env });
    child.on("error", () => {});
    child.unref();
    return;
  }
  const { default: open } = await import("open");
  await open(url).catch(() => undefined);
}
