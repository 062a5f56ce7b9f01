import type { DpopNonces } from "@ward/core";
import { WardError } from "@ward/core";
import { type ProtectedResourceMetadataOptions, protectedResourceMetadata, protectedResourceMetadataUrl } from "./prm.js";
import { type ChallengeOptions, type ErrorResponse, errorResponse } from "./responses.js";
import { requireScope } from "./scopes.js";
import type { AccessTokenClaims, Verifier } from "./verifier.js";

/** What the adapters need of a verifier: createVerifier (JWT) and createIntrospectionVerifier both fit. */
export interface TokenVerifier {
  readonly options: { readonly issuer: string; readonly resource: string; readonly dpop?: { nonces?: DpopNonces } | undefined };
  verify: Verifier["verify"];
}

/** What every adapter takes: the verifier, the scopes every request needs, and the PRM extras. */
export interface ProtectOptions {
  verifier: TokenVerifier;
  /** Scopes every request must carry (403 insufficient_scope otherwise); per-route checks use requireScope. */
  scopes?: readonly string[];
  /** Extra Protected Resource Metadata fields (resource and authorization_servers come from the verifier). */
  metadata?: Omit<ProtectedResourceMetadataOptions, "resource" | "authorizationServers">;
  /** Base of error_uri links, e.g. "<issuer>/errors" for a Ward issuer. */
  errorsBaseUrl?: string;
  /** Called with errors a handler throws that are not catalog errors (answered 500); default: console.error. */
  onError?: (error: unknown) => void;
  /**
   * Behind a reverse proxy you control: build the public URL (a DPoP proof's htu) from
   * X-Forwarded-Proto / X-Forwarded-Host. Off by default: the origin of `resource` is used, so a
   * client cannot choose the URL its proof is checked against.
   */
  trustProxy?: boolean;
}

/** The request as an adapter sees it. */
export interface IncomingRequest {
  method: string;
  /** Path and query, as received. */
  path: string;
  header(name: string): string | undefined;
}

/** `req.auth` as the MCP TypeScript SDK's transports read it (its AuthInfo), plus the verified claims. */
export interface WardAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  resource: URL;
  extra: { claims: AccessTokenClaims };
}

export function authInfo(resource: string, token: string, claims: AccessTokenClaims): WardAuthInfo {
  return {
    token,
    clientId: claims.client_id,
    scopes: claims.scopes,
    expiresAt: claims.exp,
    resource: new URL(resource),
    extra: { claims },
  };
}

/** The verified token and its claims, as adapters hand them to handlers. */
export interface Authenticated {
  token: string;
  claims: AccessTokenClaims;
}

/**
 * The token and scheme of an Authorization header (RFC 6750 §2.1, RFC 9449 §7.1). Tokens in query
 * strings or form bodies are not read (they leak into logs); anything else is `bearer_token_missing`.
 */
export function tokenFromHeader(header: string | undefined, resource: string): { token: string; scheme: "Bearer" | "DPoP" } {
  const match = header ? /^(Bearer|DPoP)[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header) : null;
  if (!match) {
    const scheme = header ? /^(Bearer|DPoP)\b/i.exec(header)?.[1] : undefined;
    if (scheme) {
      const rest = (header as string).slice(scheme.length).trim();
      const reason = rest === "" ? "no token follows it" : "what follows is not a single token68 value";
      throw new WardError("bearer_token_malformed", { scheme, reason });
    }
    throw new WardError("bearer_token_missing", { resource });
  }
  return { token: match[2] as string, scheme: (match[1] as string).toLowerCase() === "dpop" ? "DPoP" : "Bearer" };
}

/** The token of an `Authorization: Bearer` (or DPoP) header. */
export const bearerFromHeader = (header: string | undefined, resource: string): string => tokenFromHeader(header, resource).token;

/** The URL clients address: the resource's origin (or, with trustProxy, the forwarded one) and the request path. */
export function publicUrl(options: ProtectOptions, request: IncomingRequest): string {
  let origin = new URL(options.verifier.options.resource).origin;
  // The last value is the one the nearest proxy (yours) added; earlier ones may come from the client.
  const last = (name: string) => request.header(name)?.split(",").pop()?.trim();
  const forwardedHost = last("x-forwarded-host");
  if (options.trustProxy && forwardedHost && /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(forwardedHost)) {
    origin = `${last("x-forwarded-proto") === "http" ? "http" : "https"}://${forwardedHost}`;
  }
  return `${origin}${request.path.startsWith("/") ? request.path : `/${request.path}`}`;
}

/** Verifies the request's token (and DPoP proof, for a bound token) and the scopes every request needs. */
export async function authenticate(options: ProtectOptions, request: IncomingRequest): Promise<Authenticated> {
  const { token, scheme } = tokenFromHeader(request.header("authorization"), options.verifier.options.resource);
  const claims = await options.verifier.verify(token, {
    method: request.method,
    url: publicUrl(options, request),
    scheme,
    dpop: request.header("dpop"),
  });
  if (options.scopes?.length) requireScope(claims, ...options.scopes);
  return { token, claims };
}

export function challengeOptions(options: ProtectOptions): ChallengeOptions {
  return { resourceMetadata: protectedResourceMetadataUrl(options.verifier.options.resource), errorsBaseUrl: options.errorsBaseUrl };
}

/** The answer for a failed authentication, with the challenge pointing at this resource's metadata (and a fresh DPoP nonce when nonces are on). */
export function failure(options: ProtectOptions, error: unknown): ErrorResponse {
  const answer = errorResponse(error, challengeOptions(options));
  const nonces = options.verifier.options.dpop?.nonces;
  if (nonces && answer.headers["www-authenticate"]?.startsWith("DPoP")) answer.headers["dpop-nonce"] = nonces.current();
  return answer;
}

/** This resource's RFC 9728 metadata document. */
export function metadataDocument(options: ProtectOptions): Record<string, unknown> {
  return protectedResourceMetadata({
    ...options.metadata,
    resource: options.verifier.options.resource,
    authorizationServers: [options.verifier.options.issuer],
    scopesSupported: options.metadata?.scopesSupported ?? options.scopes,
  });
}
