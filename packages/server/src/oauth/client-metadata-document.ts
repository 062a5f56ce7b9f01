import { OutboundFetchError, type OutboundOptions, outboundGet, WardError } from "@ward/core";
import { clientConsistencyProblems, defaultResponseTypes } from "../admin/client-schema.js";
import { newClientRecord } from "../admin/clients.js";
import { fieldProblems } from "../admin/validation.js";
import { registrationSchema } from "../registration/metadata.js";
import type { ClientRecord } from "../store/clients.js";

/** draft-ietf-oauth-client-id-metadata-document: small documents, fetched quickly. */
const MAX_DOCUMENT_BYTES = 5 * 1024;
const TIMEOUT_MS = 5000;
const DEFAULT_MAX_AGE_S = 300;
const MAX_MAX_AGE_S = 86400;
const MAX_ENTRIES = 500;
const DOCUMENT_GRANTS = ["authorization_code", "refresh_token"];
const DOCUMENT_AUTH_METHODS = ["none", "private_key_jwt"];

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

/** Checks a fetched document and turns it into the client it describes (public or private_key_jwt; never consent-skipping). */
export function clientFromDocument(url: string, text: string, issuerIsLoopback: boolean, now: number): ClientRecord {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new WardError("client_metadata_document_not_json", { url, reason: (error as Error).message });
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new WardError("client_metadata_document_not_json", {
      url,
      reason: `it is ${Array.isArray(document) ? "an array" : String(document)}`,
    });
  }
  const raw = document as Record<string, unknown>;
  if (raw.client_id !== url) {
    throw new WardError("client_metadata_document_client_id_mismatch", {
      url,
      received: raw.client_id === undefined ? "missing" : JSON.stringify(raw.client_id).slice(0, 300),
    });
  }
  const invalid = (reason: string) => new WardError("client_metadata_document_invalid", { url, reason });
  for (const field of ["client_secret", "client_secret_expires_at"]) {
    if (Object.hasOwn(raw, field)) throw invalid(`it has ${field}, but a public document cannot carry a secret: remove it`);
  }
  const method = raw.token_endpoint_auth_method ?? "none";
  if (typeof method !== "string" || !DOCUMENT_AUTH_METHODS.includes(method)) {
    throw new WardError("client_metadata_document_auth_method_not_allowed", { url, received: JSON.stringify(method).slice(0, 100) });
  }
  const parsed = registrationSchema.safeParse({ ...raw, token_endpoint_auth_method: method });
  if (!parsed.success) {
    throw invalid(
      fieldProblems(document, parsed.error.issues)
        .map((p) => `${p.field}: received ${p.received}, expected ${p.expected}`)
        .join("; "),
    );
  }
  const input = parsed.data;
  if (input.redirect_uris.length === 0) throw invalid("redirect_uris is missing or empty; expected the client's redirect URIs");
  const refusedGrants = input.grant_types.filter((grant) => !DOCUMENT_GRANTS.includes(grant));
  if (refusedGrants.length > 0) {
    throw invalid(`grant_types includes ${refusedGrants.join(", ")}; expected only ${DOCUMENT_GRANTS.join(" and ")}`);
  }
  const metadata = {
    ...input,
    response_types: input.response_types ?? defaultResponseTypes(input.grant_types),
    skip_consent: false,
  };
  const problems = clientConsistencyProblems(metadata, issuerIsLoopback);
  if (problems.length > 0) throw invalid(problems.map((p) => `${p.field}: received ${p.received}, expected ${p.expected}`).join("; "));
  return newClientRecord(url, metadata, null, now);
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
