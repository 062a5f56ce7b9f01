import { OutboundFetchError, type OutboundOptions, outboundGet } from "@ward/core";

/** What the SDK needs to fetch (issuer metadata, keys): the outbound rules, and whether loopback http is allowed. */
export interface FetchPolicy {
  /** Development only: allow http to loopback (an issuer such as http://127.0.0.1:9000). */
  allowInsecureLoopback?: boolean;
  /** Replaces DNS (tests). */
  resolve?: OutboundOptions["resolve"];
  timeoutMs?: number;
  maxBytes?: number;
}

export interface FetchedJson {
  body: unknown;
  /** Seconds from Cache-Control max-age, when the answer has one. */
  maxAge: number | undefined;
}

/** GET a JSON document under the outbound rules; a 200 with a JSON body, or OutboundFetchError saying why not. */
export async function fetchJson(url: string, policy: FetchPolicy): Promise<FetchedJson> {
  const response = await outboundGet(url, {
    allowLoopback: policy.allowInsecureLoopback ?? false,
    resolve: policy.resolve,
    timeoutMs: policy.timeoutMs ?? 5000,
    maxBytes: policy.maxBytes ?? 256 * 1024,
  });
  if (response.status !== 200) throw new OutboundFetchError(`it answered HTTP ${response.status}`);
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString("utf8"));
  } catch {
    throw new OutboundFetchError("its body is not JSON");
  }
  const cacheControl = response.headers["cache-control"];
  const match = typeof cacheControl === "string" ? /max-age=(\d+)/i.exec(cacheControl) : null;
  return { body, maxAge: match ? Number(match[1]) : undefined };
}
