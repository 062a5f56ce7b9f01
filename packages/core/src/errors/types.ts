/** The OAuth / OIDC `error` values Ward puts on the wire (RFC 6749, 6750, 7591, 8628, 8693, 8707, 9449, OIDC Core). */
export type OAuthErrorValue =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_target"
  | "access_denied"
  | "server_error"
  | "temporarily_unavailable"
  | "login_required"
  | "consent_required"
  | "interaction_required"
  | "request_not_supported"
  | "request_uri_not_supported"
  | "invalid_token"
  | "insufficient_scope"
  | "invalid_dpop_proof"
  | "use_dpop_nonce"
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | "authorization_pending"
  | "slow_down"
  | "expired_token"
  | "not_found"
  | "unauthorized"
  | "conflict"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "payload_too_large"
  | "configuration_error";

/** Where an error surfaces: decides how it is rendered and which docs section lists it. */
export type ErrorArea =
  | "authorize"
  | "token"
  | "client"
  | "refresh"
  | "login"
  | "consent"
  | "session"
  | "logout"
  | "dpop"
  | "resource"
  | "discovery"
  | "admin"
  | "config"
  | "storage"
  | "keys"
  | "http"
  | "agent";

/**
 * One catalog entry. `description` is a template: `{name}` placeholders are filled from the
 * params given when the error is raised, and every placeholder must be listed in `params`.
 */
export interface ErrorDefinition {
  /** Stable, snake_case, never reused for another meaning. */
  readonly code: string;
  readonly area: ErrorArea;
  readonly status: number;
  /** The wire `error` value (OAuth JSON). */
  readonly oauthError: OAuthErrorValue;
  /** One line summary, for lists and page titles. */
  readonly title: string;
  /** Template naming the received and the expected values, e.g. `redirect_uri "{received}" …`. */
  readonly description: string;
  readonly params: readonly string[];
  /** Why it happens (plain sentences, may be several). */
  readonly cause: string;
  /** What to do about it (plain sentences or a short command). */
  readonly fix: string;
  /**
   * True when, on an authorization-endpoint error, the client may be redirected back with this
   * error (only ever after client and redirect_uri are validated). False: show an HTML page.
   */
  readonly allowRedirect?: boolean;
}
