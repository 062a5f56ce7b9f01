import { lookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { isLoopbackHostname } from "../url/loopback.js";

// The one I/O primitive of @ward/core: the server (client keys, client metadata documents), the SDK
// (issuer metadata and keys) and the CLI (providers) all fetch through it, under the same rules.

/** Resolves a host name to its addresses (injectable: tests must not send a packet off loopback). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface OutboundOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Whole request, connect to last byte. */
  timeoutMs: number;
  /** Development (loopback issuer): http and loopback addresses are allowed, private ranges still are not. */
  allowLoopback: boolean;
  resolve?: ResolveHost | undefined;
  headers?: Record<string, string>;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** Which rule refused an outbound fetch (callers with their own error codes map it; `failed` is everything else). */
export type OutboundFailure = "scheme" | "address" | "redirect" | "too_large" | "timeout" | "failed";

/** Why an outbound fetch was refused or failed, in words for an error description. */
export class OutboundFetchError extends Error {
  constructor(
    message: string,
    readonly kind: OutboundFailure = "failed",
  ) {
    super(message);
  }
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Addresses no outbound fetch may reach: private, link-local, shared, reserved, documentation, multicast. */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["2002::", 16],
  ["::", 96],
  ["ff00::", 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv6");
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it maps. */
function normalize(address: string): { address: string; type: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1] as string, type: "ipv4" };
  return { address, type: isIP(address) === 6 ? "ipv6" : "ipv4" };
}

/** Why this address may not be fetched, or undefined when it may. */
export function addressProblem(address: string, allowLoopback: boolean): string | undefined {
  const { address: normalized, type } = normalize(address);
  if (allowLoopback && LOOPBACK.check(normalized, type)) return undefined;
  if (NOT_PUBLIC.check(normalized, type)) return `${address} is a private, loopback, link-local or reserved address`;
  return undefined;
}

const defaultResolve: ResolveHost = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * GET with the rules of every outbound fetch Ward makes (DESIGN "Protocol rules"): https only
 * (http only for loopback in development), every resolved address public (checked at connect time,
 * so DNS rebinding cannot swap it), no redirects, a time limit and a size limit.
 */
export function outboundGet(target: string, options: OutboundOptions): Promise<OutboundResponse> {
  return outboundRequest(target, options);
}

/**
 * Any request under the same rules (a token request is a POST of a form): `method` and `body` added
 * to {@link outboundGet}'s options.
 */
export async function outboundRequest(
  target: string,
  options: OutboundOptions & { method?: "GET" | "POST"; body?: string },
): Promise<OutboundResponse> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new OutboundFetchError(`${target} is not a URL`);
  }
  const loopbackHost = isLoopbackHostname(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && options.allowLoopback && loopbackHost)) {
    throw new OutboundFetchError(`${url.protocol}// is not allowed: only https URLs are fetched`, "scheme");
  }
  if (url.username || url.password) throw new OutboundFetchError("URLs with credentials are not fetched");
  // Node connects to an IP literal without calling `lookup`: check it here.
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(literal)) {
    const refused = addressProblem(literal, options.allowLoopback);
    if (refused) throw new OutboundFetchError(refused, "address");
  }
  const resolve = options.resolve ?? defaultResolve;
  const pinned: LookupFunction = (hostname, lookupOptions, callback) => {
    const addresses = isIP(hostname) ? Promise.resolve([{ address: hostname, family: isIP(hostname) }]) : resolve(hostname);
    addresses.then(
      (list) => {
        if (list.length === 0) return callback(new OutboundFetchError(`${hostname} has no address`), "", 4);
        const refused = list.map((entry) => addressProblem(entry.address, options.allowLoopback)).find(Boolean);
        if (refused) return callback(new OutboundFetchError(refused, "address"), "", 4);
        const first = list[0] as { address: string; family: number };
        if ((lookupOptions as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
        callback(null, first.address, first.family);
      },
      (error: Error) => callback(new OutboundFetchError(`${hostname} could not be resolved (${error.message})`), "", 4),
    );
  };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<OutboundResponse>((resolvePromise, reject) => {
    const request = send(
      url,
      {
        method: options.method ?? "GET",
        lookup: pinned,
        headers: {
          accept: "application/json",
          ...(options.body !== undefined ? { "content-length": String(Buffer.byteLength(options.body)) } : {}),
          ...options.headers,
        },
        timeout: options.timeoutMs,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          response.resume();
          reject(
            new OutboundFetchError(
              `it answered ${status} redirecting to ${response.headers.location ?? "(no location)"}; redirects are not followed`,
              "redirect",
            ),
          );
          return;
        }
        const declared = Number(response.headers["content-length"] ?? 0);
        if (declared > options.maxBytes) {
          response.destroy();
          reject(new OutboundFetchError(`its body is ${declared} bytes, more than the ${options.maxBytes} allowed`, "too_large"));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            response.destroy();
            reject(new OutboundFetchError(`its body is more than the ${options.maxBytes} bytes allowed`, "too_large"));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => resolvePromise({ status, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on("error", (error) => reject(new OutboundFetchError(error.message)));
      },
    );
    const deadline = setTimeout(
      () => request.destroy(new OutboundFetchError(`no complete answer within ${options.timeoutMs} ms`, "timeout")),
      options.timeoutMs,
    );
    request.on("close", () => clearTimeout(deadline));
    request.on("timeout", () => request.destroy(new OutboundFetchError(`no answer within ${options.timeoutMs} ms`, "timeout")));
    request.on("error", (error) => reject(error instanceof OutboundFetchError ? error : new OutboundFetchError(error.message)));
    request.end(options.body);
  });
}
