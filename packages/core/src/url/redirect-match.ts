import { isIP } from "node:net";
import { editDistance } from "./edit-distance.js";

export type RedirectMatch = { matched: string } | { matched?: undefined; closest: string; difference: string };

/** RFC 8252 §7.3: loopback IP literals (not the name localhost) may use any port at request time. */
function isLoopbackIpLiteral(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return url.protocol === "http:" && ((isIP(host) === 4 && host.startsWith("127.")) || host === "::1");
}

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

/** Registered loopback-IP redirect that equals `received` except for the port. */
function loopbackPortMatch(received: URL, registered: URL): boolean {
  return (
    isLoopbackIpLiteral(registered) &&
    received.protocol === registered.protocol &&
    received.hostname === registered.hostname &&
    received.pathname === registered.pathname &&
    received.search === registered.search &&
    received.hash === "" &&
    received.username === "" &&
    received.password === ""
  );
}

/** A human description of how `received` differs from `registered`, naming the part that differs. */
export function describeDifference(received: string, registered: string): string {
  if (received === `${registered}/`) return "trailing slash: remove the final '/'";
  if (`${received}/` === registered) return "trailing slash: the registered URI ends with '/'";
  if (received.toLowerCase() === registered.toLowerCase()) return "letter case differs; redirect URIs are compared exactly";
  const a = parse(received);
  const b = parse(registered);
  if (!a || !b) return "the received value is not an absolute URL";
  const parts: string[] = [];
  if (a.protocol !== b.protocol) parts.push(`scheme ${a.protocol.slice(0, -1)} instead of ${b.protocol.slice(0, -1)}`);
  if (a.hostname !== b.hostname) parts.push(`host ${a.hostname} instead of ${b.hostname}`);
  if (a.port !== b.port) parts.push(`port ${a.port || "(default)"} instead of ${b.port || "(default)"}`);
  if (a.pathname !== b.pathname) parts.push(`path ${a.pathname} instead of ${b.pathname}`);
  if (a.search !== b.search)
    parts.push(a.search ? `query ${a.search} ${b.search ? `instead of ${b.search}` : "is not registered"}` : "query missing");
  if (received.includes("#")) parts.push("a fragment, which redirect URIs never have");
  return parts.length ? parts.join("; ") : "they differ in encoding; send the registered value exactly";
}

/**
 * Matches a redirect_uri against a client's registered URIs: byte for byte (RFC 6749 §3.1.2.3,
 * OAuth 2.1 §2.3.1), except that the port of a loopback IP redirect may differ (RFC 8252 §7.3;
 * native apps only: pass `loopbackPortFlexibility: false` for web clients).
 * Without a match, returns the closest registered URI and what differs, for an error page that
 * tells the developer exactly what to fix.
 */
export function matchRedirectUri(
  received: string,
  registered: readonly string[],
  options: { loopbackPortFlexibility?: boolean } = {},
): RedirectMatch {
  if (registered.includes(received)) return { matched: received };
  const url = options.loopbackPortFlexibility === false ? undefined : parse(received);
  if (url) {
    for (const candidate of registered) {
      const registeredUrl = parse(candidate);
      if (registeredUrl && loopbackPortMatch(url, registeredUrl)) return { matched: received };
    }
  }
  // Distances are quadratic in length: compare bounded prefixes so a huge redirect_uri costs little.
  const distance = (candidate: string) => editDistance(received.slice(0, 512), candidate.slice(0, 512));
  const closest = [...registered].sort((x, y) => distance(x) - distance(y))[0] ?? "(none registered)";
  return { closest, difference: registered.length ? describeDifference(received, closest) : "the client has no redirect URI registered" };
}
