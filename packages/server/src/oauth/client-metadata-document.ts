import { OutboundFetchError, type OutboundOptions, outboundGet, WardError } from "@ward/core";
import type { ClientRecord } from "../store/clients.js";

/** draft-ietf-oauth-client-id-metadata-document: small documents, fetched quickly. */
const MAX_DOCUMENT_BYTES = 5 * 1024;
const TIMEOUT_MS = 5000;
const DEFAULT_MAX_AGE_S = 300;
const MAX_MAX_AGE_S = 86400;
const MAX_ENTRIES = 500;

/** True when `clientId` is written as a URL (and so names a metadata document, not a registered client). */
export function isUrlClientId(clientId: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(clientId);
}

/** True when `clientId` cannot be a metadata document URL: https, a path, no fragment, credentials or dot segments. */
function unusableClientIdUrl(clientId: string): boolean {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return true;
  }
  return (
    url.protocol !== "https:" ||
    url.pathname === "/" ||
    clientId.includes("#") ||
    url.username !== "" ||
    url.password !== "" ||
    /\/\.\.?(\/|$)/.test(clientId.split("?")[0] as string)
  );
}

/** Seconds a document may be cached: its Cache-Control max-age (at most a day), 0 for no-store / no-cache. */
function cacheSeconds(cacheControl: string | undefined): number {
  if (/no-store|no-cache/i.test(cacheControl ?? "")) return 0;
  const match = /max-age=(\d+)/i.exec(cacheControl ?? "");
  return Math.min(MAX_MAX_AGE_S, match ? Number(match[1]) : DEFAULT_MAX_AGE_S);
}

/** The catalog error for a refused or failed fetch, by the outbound rule that refused it. */
function fetchError(url: string, error: OutboundFetchError): WardError {
  const reason = error.message;
  switch (error.kind) {
    case "address":
      return new WardError("client_metadata_document_address_refused", { url, reason });
    case "redirect":
      return new WardError("client_metadata_document_redirected", { url, reason });
    case "too_large":
      return new WardError("client_metadata_document_too_large", { url, reason });
    case "scheme":
      return new WardError("client_metadata_document_not_https", { url });
    default:
      return new WardError("client_metadata_document_fetch_failed", { url, reason });
  }
}

interface Entry {
  client: ClientRecord;
  expiresAt: number;
}

/**
 * Client ID metadata documents: fetched with the outbound rules (https, public addresses unless the
 * issuer is loopback, no redirects, 5 KiB, 5 s), checked, and cached per Cache-Control (no-store
 * honoured, at most a day, at most 500 documents). Concurrent lookups of one URL share one fetch.
 */
export class ClientMetadataDocuments {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ClientRecord>>();

  constructor(
    private readonly options: Pick<OutboundOptions, "allowLoopback" | "resolve">,
    private readonly now: () => number,
  ) {}

  /** The client the document at `url` describes; a catalog error naming the exact problem otherwise. */
  async get(url: string): Promise<ClientRecord> {
    if (unusableClientIdUrl(url)) throw new WardError("client_metadata_document_not_https", { url: JSON.stringify(url.slice(0, 256)) });
    const cached = this.entries.get(url);
    if (cached && cached.expiresAt > this.now()) return cached.client;
    this.entries.delete(url);
    let pending = this.inFlight.get(url);
    if (!pending) {
      pending = this.fetch(url).finally(() => this.inFlight.delete(url));
      this.inFlight.set(url, pending);
    }
    return pending;
  }

  private async fetch(url: string): Promise<ClientRecord> {
    let response: Awaited<ReturnType<typeof outboundGet>>;
    try {
      response = await outboundGet(url, { ...this.options, maxBytes: MAX_DOCUMENT_BYTES, timeoutMs: TIMEOUT_MS });
    } catch (error) {
      if (error instanceof OutboundFetchError) throw fetchError(url, error);
      throw error;
    }
    if (response.status !== 200)
      throw new WardError("client_metadata_document_fetch_failed", { url, reason: `it answered HTTP ${response.status}` });
    const now = this.now();
    // Imported here: its client schemas are not needed until the first document (time to ready, bench/README.md).
    const { clientFromDocument } = await import("./client-from-document.js");
    const client = clientFromDocument(url, response.body.toString("utf8"), this.options.allowLoopback, now);
    const cacheControl = response.headers["cache-control"];
    const seconds = cacheSeconds(typeof cacheControl === "string" ? cacheControl : undefined);
    if (seconds > 0) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(url, { client, expiresAt: now + seconds * 1000 });
    }
    return client;
  }
}
