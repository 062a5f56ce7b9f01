import { OutboundFetchError, outboundRequest, WardError } from "@ward/core";
import type { FetchPolicy } from "../fetch-json.js";

/** What a token endpoint answered (RFC 6749 §5.1). */
export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  id_token?: string;
}

/** A token set with the time its access token expires (epoch ms). */
export interface HeldTokens extends TokenSet {
  expires_at: number;
}

export interface TokenHolderOptions extends FetchPolicy {
  tokenEndpoint: string;
  clientId: string;
  /** For confidential clients: sent as client_secret_basic. */
  clientSecret?: string;
  tokens: HeldTokens;
  /** Refresh this many seconds before expiry (default 30). */
  refreshBefore?: number;
  /** Called with every rotated set: persist it (the old refresh token is spent from now on). */
  onRotate?: (tokens: HeldTokens) => void | Promise<void>;
  now?: () => number;
}

/** A refresh the token endpoint refused: the catalog code when the server is Ward, the OAuth error otherwise. */
export class RefreshFailedError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: string | undefined,
    description: string,
  ) {
    super(`refresh refused (${status} ${error}${code ? `, ${code}` : ""}): ${description}`);
  }
}

/**
 * Holds one grant's tokens and refreshes them single-flight: however many callers need a token
 * while it is expiring, exactly one refresh request is sent, and all of them get its result. Two
 * concurrent refreshes of the same rotating refresh token are the classic cause of "refresh token
 * reuse detected" (the second one revokes the whole family).
 */
export class TokenHolder {
  private tokens: HeldTokens;
  private refreshing: Promise<HeldTokens> | undefined;
  /** A rotated set onRotate failed to persist: retried before any token is handed out. */
  private unpersisted: HeldTokens | undefined;
  private readonly now: () => number;

  constructor(private readonly options: TokenHolderOptions) {
    this.tokens = options.tokens;
    this.now = options.now ?? Date.now;
  }

  /** The current tokens (possibly expired). */
  current(): HeldTokens {
    return this.tokens;
  }

  /** A valid access token, refreshing first (once, shared) when it expires within `refreshBefore`. */
  async accessToken(): Promise<string> {
    if (this.unpersisted) await this.persist(this.unpersisted);
    const margin = (this.options.refreshBefore ?? 30) * 1000;
    if (this.tokens.expires_at - margin > this.now()) return this.tokens.access_token;
    return (await this.refresh()).access_token;
  }

  /** Refreshes now (joining a refresh already under way). */
  refresh(): Promise<HeldTokens> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<HeldTokens> {
    const refreshToken = this.tokens.refresh_token;
    if (!refreshToken) throw new WardError("refresh_token_missing");
    const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken });
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (this.options.clientSecret) {
      const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
      headers.authorization = `Basic ${Buffer.from(`${encode(this.options.clientId)}:${encode(this.options.clientSecret)}`).toString("base64")}`;
    } else {
      body.set("client_id", this.options.clientId);
    }
    let response: Awaited<ReturnType<typeof outboundRequest>>;
    try {
      response = await outboundRequest(this.options.tokenEndpoint, {
        method: "POST",
        body: body.toString(),
        headers,
        allowLoopback: this.options.allowInsecureLoopback ?? false,
        resolve: this.options.resolve,
        timeoutMs: this.options.timeoutMs ?? 10_000,
        maxBytes: this.options.maxBytes ?? 64 * 1024,
      });
    } catch (error) {
      if (error instanceof OutboundFetchError) throw new RefreshFailedError(0, "network", undefined, error.message);
      throw error;
    }
    const answer = JSON.parse(response.body.toString("utf8") || "{}") as TokenSet & {
      error?: string;
      code?: string;
      error_description?: string;
    };
    if (response.status !== 200 || !answer.access_token) {
      throw new RefreshFailedError(
        response.status,
        answer.error ?? "invalid_response",
        answer.code,
        answer.error_description ?? "no access_token",
      );
    }
    const next: HeldTokens = {
      ...answer,
      refresh_token: answer.refresh_token ?? refreshToken,
      expires_at: this.now() + (answer.expires_in ?? 3600) * 1000,
    };
    // The old refresh token is spent from now on: keep the new set even if persisting it fails, and retry.
    this.tokens = next;
    await this.persist(next);
    return next;
  }

  private async persist(tokens: HeldTokens): Promise<void> {
    this.unpersisted = tokens;
    await this.options.onRotate?.(tokens);
    this.unpersisted = undefined;
  }
}
