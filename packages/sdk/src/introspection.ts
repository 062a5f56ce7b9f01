import { createHash } from "node:crypto";
import { checkDpopBinding, type DpopNonces, OutboundFetchError, outboundRequest, type RequestContext, WardError } from "@ward/core";
import { discoverIssuer } from "./discovery.js";
import type { FetchPolicy } from "./fetch-json.js";
import { MemoryReplayStore, type ReplayStore } from "./replay-store.js";
import type { AccessTokenClaims } from "./verifier.js";

export interface IntrospectionOptions extends FetchPolicy {
  issuer: string;
  /** This resource's identifier: an active token must be issued for it (aud). */
  resource: string;
  /** The resource server's own confidential client (client_secret_basic). */
  clientId: string;
  clientSecret: string;
  /** How the client authenticates: its registered token_endpoint_auth_method (default client_secret_basic). */
  clientAuthMethod?: "client_secret_basic" | "client_secret_post";
  /** Seconds an answer is reused (default 30; never past the token's exp). Short: a revocation is seen within it. */
  cacheSeconds?: number;
  /** DPoP for tokens the issuer reports bound (cnf.jkt, RFC 9449 §6.2), as in createVerifier. */
  dpop?: { replayStore?: ReplayStore; window?: number; nonces?: DpopNonces };
  now?: () => number;
}

export interface IntrospectionVerifier {
  readonly options: Readonly<IntrospectionOptions>;
  /** With the request, a DPoP-bound token must come with the DPoP scheme and a valid proof (as in createVerifier). */
  verify(token: string, request?: RequestContext): Promise<AccessTokenClaims>;
}

/**
 * Verifies opaque (or any) tokens by RFC 7662 introspection at the issuer's introspection_endpoint.
 * Answers are cached briefly (default 30 s, never beyond exp) per token hash, so a revocation is
 * noticed within the cache time; an inactive token is `token_inactive`, a token for another
 * resource `token_audience_mismatch`.
 */
export function createIntrospectionVerifier(options: IntrospectionOptions): IntrospectionVerifier {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { claims: AccessTokenClaims | undefined; until: number }>();
  const replay = options.dpop?.replayStore ?? new MemoryReplayStore(now);
  let endpoint: Promise<string> | undefined;
  const introspectionEndpoint = () => {
    endpoint ??= discoverIssuer(options.issuer, options).then((metadata) => {
      if (typeof metadata.introspection_endpoint !== "string") {
        throw new WardError("issuer_metadata_unavailable", { url: options.issuer, reason: "its metadata has no introspection_endpoint" });
      }
      return metadata.introspection_endpoint;
    });
    endpoint.catch(() => {
      endpoint = undefined;
    });
    return endpoint;
  };

  async function ask(token: string): Promise<Record<string, unknown>> {
    const url = await introspectionEndpoint();
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
    const form = new URLSearchParams({ token, token_type_hint: "access_token" });
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (options.clientAuthMethod === "client_secret_post") {
      form.set("client_id", options.clientId);
      form.set("client_secret", options.clientSecret);
    } else {
      headers.authorization = `Basic ${Buffer.from(`${encode(options.clientId)}:${encode(options.clientSecret)}`).toString("base64")}`;
    }
    try {
      const response = await outboundRequest(url, {
        method: "POST",
        body: form.toString(),
        headers,
        allowLoopback: options.allowInsecureLoopback ?? false,
        resolve: options.resolve,
        timeoutMs: options.timeoutMs ?? 5000,
        maxBytes: options.maxBytes ?? 64 * 1024,
      });
      const body = JSON.parse(response.body.toString("utf8") || "{}") as Record<string, unknown>;
      if (response.status !== 200)
        throw new OutboundFetchError(`it answered HTTP ${response.status} ${String(body.code ?? body.error ?? "")}`.trim());
      return body;
    } catch (error) {
      if (error instanceof OutboundFetchError || error instanceof SyntaxError) {
        throw new WardError("issuer_metadata_unavailable", { url, reason: (error as Error).message });
      }
      throw error;
    }
  }

  return {
    options,
    async verify(token: string, request?: RequestContext): Promise<AccessTokenClaims> {
      const key = createHash("sha256").update(token).digest("base64url");
      const cached = cache.get(key);
      let claims = cached && cached.until > now() ? cached.claims : undefined;
      if (!cached || cached.until <= now()) {
        const answer = await ask(token);
        claims =
          answer.active === true
            ? ({
                ...answer,
                scopes: String(answer.scope ?? "")
                  .split(" ")
                  .filter(Boolean),
              } as unknown as AccessTokenClaims)
            : undefined;
        const exp = typeof answer.exp === "number" ? answer.exp * 1000 : now();
        const until = claims ? Math.min(now() + (options.cacheSeconds ?? 30) * 1000, exp) : now() + 5000;
        cache.set(key, { claims, until });
        if (cache.size > 10_000) cache.delete(cache.keys().next().value as string);
      }
      if (!claims) throw new WardError("token_inactive", { endpoint: await introspectionEndpoint() });
      const audience = ([] as unknown[]).concat(claims.aud ?? []);
      if (!audience.includes(options.resource)) {
        throw new WardError("token_audience_mismatch", { received: JSON.stringify(claims.aud ?? null), expected: options.resource });
      }
      await checkDpopBinding(token, claims, request, { replay, window: options.dpop?.window, nonces: options.dpop?.nonces, now });
      return claims;
    },
  };
}
