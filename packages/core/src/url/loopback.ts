import { isIP } from "node:net";

/**
 * True for names that always resolve to the local machine: `localhost` (and `*.localhost`,
 * RFC 6761), the IPv4 loopback range 127.0.0.0/8 and `::1`. Accepts bracketed IPv6 as found in
 * `URL.hostname`.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/** True when `url` parses and its host is loopback (see {@link isLoopbackHostname}). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHostname(new URL(url).hostname);
  } catch {
    return false;
  }
}
