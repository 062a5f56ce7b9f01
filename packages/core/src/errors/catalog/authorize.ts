import { defineErrors } from "../define.js";

/**
 * Authorization endpoint (and pushed authorization requests). Entries with `allowRedirect: true`
 * may be sent back to the client's redirect_uri, but only once client_id and redirect_uri are
 * validated; everything about the client or the redirect_uri itself is shown as an HTML page.
 */
export const authorizeErrors = defineErrors({
  authorize_client_id_missing: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Authorization request without client_id",
    description: "The authorization request has no client_id parameter. Parameters received: {received}.",
    params: ["received"],
    cause:
      "The authorization URL was built without client_id, with a misspelt name (parameter names are case-sensitive: client_id, not clientId or client-id), or its query string was lost in a redirect. Without a client Ward has no registered redirect_uri to check, so it shows this page instead of redirecting.",
    fix: "Send client_id with the exact value shown by `ward admin clients list` for this client.",
  },
  authorize_client_unknown: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Unknown client_id on the authorization request",
    description: "client_id {client_id} is not registered on {issuer}.",
    params: ["client_id", "issuer"],
    cause:
      "The client_id is mistyped, belongs to another Ward deployment (development and production have separate clients), or the client was deleted. Ward cannot redirect back to an unknown client, since it has no registered redirect_uri to check.",
    fix: "Use a client_id listed by `ward admin clients list` on this issuer, or register the client (`ward admin clients create …`, or dynamic registration where it is enabled).",
  },
  redirect_uri_missing: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Authorization request without redirect_uri",
    description: "The authorization request has no redirect_uri; client {client_id} has {count} registered: {registered}.",
    params: ["client_id", "count", "registered"],
    cause:
      "Ward requires redirect_uri on every authorization request (OpenID Connect requires it, and with several registered URIs there is nothing to fall back on). Ward never redirects to a URI it has not validated, so it shows this page.",
    fix: "Add redirect_uri with one of the registered values, exactly as registered, and send the same value again with the code to the token endpoint.",
  },
  redirect_uri_mismatch: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "redirect_uri is not registered for this client",
    description: "redirect_uri {received} is not registered for client {client_id}. Closest registered: {closest} ({difference}).",
    params: ["received", "client_id", "closest", "difference"],
    cause:
      "Redirect URIs are compared byte for byte (scheme, host, port, path, trailing slash and query string); the only exception is the port of a loopback IP redirect of a native app (RFC 8252). The usual differences are a trailing slash, http instead of https, localhost instead of 127.0.0.1, another path (/callback instead of /auth/callback/oauth) or an added query string. Ward never redirects to an unregistered URI, since whoever controls it would receive the authorization code.",
    fix: "Send the registered value exactly, or register the one the client sends: `ward admin clients update <client_id> --redirect-uri <uri>` (repeat --redirect-uri for every URI to keep: the list is replaced).",
  },
  authorize_parameter_repeated: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Request parameter sent more than once",
    description: "Parameter {parameter} appears {count} times in the authorization request; each OAuth parameter may appear at most once.",
    params: ["parameter", "count"],
    cause:
      "RFC 6749 §3.1 forbids repeated parameters. It usually happens when the configured authorization URL already carries a query string and the library appends the same parameter again, or two middleware layers both add it. Ward does not guess which value was meant, and does not redirect, because the repeated parameter may be the redirect_uri itself.",
    fix: "Send each parameter once: remove the query string from the configured endpoint URL and let the OAuth library add the parameters.",
  },
  request_uri_unknown: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Unknown pushed request_uri",
    description:
      "request_uri {received} sent with client_id {client_id} was not issued by this server's pushed authorization request endpoint (or was removed a day after it expired).",
    params: ["received", "client_id"],
    cause:
      "A request_uri from the pushed authorization request endpoint (RFC 9126) is a random reference Ward knows only for a short time. This one was mistyped or truncated, was pushed to another Ward deployment (development and production are separate), or is so old its record is gone. The redirect_uri is inside the pushed request, so Ward cannot redirect back.",
    fix: "Push the authorization request to /par again immediately before sending the user to /authorize, and send the request_uri it returns exactly, with the same client_id.",
  },
  request_uri_expired: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Pushed request_uri expired",
    description:
      "The request_uri pushed by client {client_id} at {pushed_at} expired: it is {age} old and lasts {lifetime} (par.request_uri_ttl).",
    params: ["client_id", "pushed_at", "age", "lifetime"],
    cause:
      "A pushed request is meant to be used at once: the client pushes it and immediately redirects the browser. It expired because the client pushed it long before sending the user (for example when rendering a page with a sign-in link), or the user's browser took too long to follow the redirect.",
    fix: "Push the request only when the user starts signing in, and redirect the browser right away; raise par.request_uri_ttl (at most 600 seconds) only if the redirect itself is slow.",
  },
  request_uri_reused: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Pushed request_uri already used",
    description:
      "The request_uri pushed by client {client_id} was already used at {used_at}; each request_uri starts one authorization only.",
    params: ["client_id", "used_at"],
    cause:
      "RFC 9126 §4: a request_uri carries one authorization request (its code_challenge and state are unique), so Ward accepts it once. The user reloaded or went back to the authorization page, opened the link in a second tab, or the client cached a request_uri and reused it.",
    fix: "Push a new authorization request for every sign-in attempt and use each returned request_uri once.",
  },
  request_uri_client_mismatch: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Pushed request_uri belongs to another client",
    description: "request_uri was pushed by client {pushed_by} but the authorization request names client_id {client_id}.",
    params: ["pushed_by", "client_id"],
    cause:
      "A request_uri is bound to the client that authenticated at the pushed authorization request endpoint (RFC 9126 §4). The client_id on the authorization URL differs: an application with several clients mixed them up, or someone is trying to use another client's pushed request.",
    fix: "Send the same client_id on the authorization URL as the client that pushed the request (openid-client's buildAuthorizationUrlWithPAR does this for you).",
  },
  request_uri_in_pushed_request: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "request_uri inside a pushed authorization request",
    description:
      "The pushed authorization request carries request_uri {received}; a push must carry the authorization parameters themselves.",
    params: ["received"],
    cause:
      "RFC 9126 §2.1 forbids request_uri in a pushed request: the push is what creates a request_uri. The client pushed the result of an earlier push, or passed its authorization URL parameters through twice.",
    fix: "Send the authorization parameters (response_type, redirect_uri, scope, code_challenge, …) in the body of POST /par, without request_uri.",
  },
  pushed_authorization_required: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Pushed authorization request required",
    description:
      "Client {client_id} sent its authorization parameters on the front channel, but {setting} requires them to be pushed to {par_endpoint} first.",
    params: ["client_id", "setting", "par_endpoint"],
    cause:
      "RFC 9126 §5 and §6: with par.required (for every client) or the client's require_pushed_authorization_requests, the authorization endpoint accepts only a request_uri obtained from the pushed authorization request endpoint, so the parameters cannot be changed in the browser.",
    fix: "POST the authorization parameters (with the client's authentication) to the pushed_authorization_request_endpoint of the metadata, then send the browser to /authorize with only client_id and the returned request_uri (openid-client: buildAuthorizationUrlWithPAR).",
    allowRedirect: true,
  },
  response_type_missing: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Authorization request without response_type",
    description: "The authorization request from client {client_id} has no response_type; Ward expects response_type=code.",
    params: ["client_id"],
    cause: "The authorization URL was built by hand and response_type was left out or misspelt (responseType).",
    fix: "Add response_type=code to the authorization request.",
    allowRedirect: true,
  },
  response_type_unsupported: {
    area: "authorize",
    status: 400,
    oauthError: "unsupported_response_type",
    title: "response_type not supported",
    description: "response_type {received} is not supported: Ward issues authorization codes only (response_type=code).",
    params: ["received"],
    cause:
      "The implicit (token, id_token) and hybrid (code id_token) flows are removed in OAuth 2.1: tokens returned in the URL leak through browser history, Referer headers and logs.",
    fix: "Use the authorization code flow with PKCE: response_type=code, then exchange the code at the token endpoint.",
    allowRedirect: true,
  },
  response_type_not_allowed_for_client: {
    area: "authorize",
    status: 400,
    oauthError: "unauthorized_client",
    title: "Client not registered for the authorization code flow",
    description: "Client {client_id} may not use the authorization code flow: its grant_types are {grant_types}.",
    params: ["client_id", "grant_types"],
    cause:
      "The client was registered for machine-to-machine grants only (for example client_credentials), and authorization_code is not among its grant_types.",
    fix: "Add the grant: `ward admin clients update <client_id> --grant-type authorization_code --grant-type refresh_token --redirect-uri <uri>` (repeat each flag for every value to keep: lists are replaced).",
    allowRedirect: true,
  },
  pkce_challenge_missing: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "PKCE code_challenge missing",
    description:
      "Client {client_id} sent an authorization request without code_challenge; Ward requires PKCE with code_challenge_method=S256 on every authorization request, confidential clients included.",
    params: ["client_id"],
    cause:
      "The client does not implement PKCE, has it turned off in its OAuth library, or sends it under another name (parameter names are case-sensitive: code_challenge, not codeChallenge).",
    fix: "Create a code_verifier of 32 random bytes in base64url (43 characters); send code_challenge=BASE64URL(SHA256(code_verifier)) with code_challenge_method=S256 here, and the code_verifier itself to the token endpoint.",
    allowRedirect: true,
  },
  pkce_challenge_malformed: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "PKCE code_challenge is not an S256 value",
    description:
      "code_challenge {received} has {length} characters; an S256 challenge is BASE64URL(SHA256(code_verifier)): exactly 43 characters of A-Z a-z 0-9 - _, without = padding.",
    params: ["received", "length"],
    cause:
      "The SHA-256 digest was encoded with standard base64 ('+', '/' and '=' padding) or hex instead of base64url, or the code_verifier itself was sent as the challenge.",
    fix: 'Encode the raw 32-byte digest as base64url without padding; in Node: createHash("sha256").update(codeVerifier).digest("base64url").',
    allowRedirect: true,
  },
  pkce_method_plain_refused: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "PKCE method plain refused",
    description: "code_challenge_method is {received}, which means the plain method; Ward accepts only S256.",
    params: ["received"],
    cause:
      "With plain, the challenge is the verifier itself, so anyone who sees the authorization request (logs, browser history, a malicious app on the device) can redeem the code. A missing code_challenge_method also means plain (RFC 7636 §4.3).",
    fix: "Send code_challenge_method=S256 with code_challenge=BASE64URL(SHA256(code_verifier)). Every current OAuth library supports S256.",
    allowRedirect: true,
  },
  pkce_method_unsupported: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "Unknown PKCE method",
    description: "code_challenge_method {received} is not a PKCE method; the only value Ward accepts is S256 (case-sensitive).",
    params: ["received"],
    cause: "A typo or a guessed name: s256, SHA256 and SHA-256 are not PKCE methods; RFC 7636 defines exactly S256 and plain.",
    fix: "Send code_challenge_method=S256 exactly.",
    allowRedirect: true,
  },
  resource_missing: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_target",
    title: "No resource: the token audience is ambiguous",
    description: "The request names no resource, and the scopes {scope} do not identify a single resource: {reason}.",
    params: ["scope", "reason"],
    cause:
      "Every Ward access token is issued for one resource (its aud, RFC 8707). Without a resource parameter Ward can only infer it from the scopes, which works when they are all declared on the same resource.",
    fix: "Send resource=<resource URI> (the URI the resource is registered with, byte for byte) on both the authorization and the token request.",
    allowRedirect: true,
  },
  prompt_none_login_required: {
    area: "authorize",
    status: 400,
    oauthError: "login_required",
    title: "prompt=none but nobody is signed in",
    description: "prompt=none was requested, but no user is signed in at {issuer} in this browser.",
    params: ["issuer"],
    cause:
      "Silent authentication only works with an existing Ward session cookie. The user never signed in, signed out, the session expired, or the browser blocks the cookie in a third-party iframe.",
    fix: "Handle login_required by sending the user through a normal authorization request without prompt=none.",
    allowRedirect: true,
  },
  prompt_none_consent_required: {
    area: "authorize",
    status: 400,
    oauthError: "consent_required",
    title: "prompt=none but consent is needed",
    description: "prompt=none was requested, but the signed-in user has not granted client {client_id} the scopes {missing}.",
    params: ["client_id", "missing"],
    cause:
      "The request asks for scopes the user has not granted yet (or revoked), and prompt=none forbids showing the consent page. First-party clients registered with skip_consent never need consent.",
    fix: "Repeat the request without prompt=none so the user can consent; for a first-party client, set `ward admin clients update <client_id> --skip-consent`.",
    allowRedirect: true,
  },
  prompt_none_interaction_required: {
    area: "authorize",
    status: 400,
    oauthError: "interaction_required",
    title: "prompt=none but the user must interact",
    description: "prompt=none was requested, but completing it requires {interaction}.",
    params: ["interaction"],
    cause:
      "The user is signed in, but something needs their input before Ward can answer: a two-factor step, a fresh sign-in because max_age has passed, or choosing an account.",
    fix: "Repeat the request without prompt=none and let the user complete the step.",
    allowRedirect: true,
  },
  consent_denied: {
    area: "authorize",
    status: 400,
    oauthError: "access_denied",
    title: "The user denied access",
    description: "The user chose Deny on the consent page for client {client_id} (scopes {scope}).",
    params: ["client_id", "scope"],
    cause: "The user declined to grant the requested access. This is a normal outcome, not a malfunction.",
    fix: "Handle error=access_denied in the client: tell the user access was not granted and offer to try again. Do not send the user straight back to the authorization endpoint in a loop.",
    allowRedirect: true,
  },
  authorization_session_expired: {
    area: "session",
    status: 400,
    oauthError: "invalid_request",
    title: "Sign-in took too long",
    description:
      "This authorization request was started at {started_at}, {age} ago; sign-in, two-factor and consent must be completed within {lifetime}.",
    params: ["started_at", "age", "lifetime"],
    cause:
      "Ward keeps a pending authorization request for a limited time (login.interaction_ttl, 10 minutes by default). The user left the page open, was interrupted, or the client started the request long before sending the user to it. The stored request (and its validated redirect_uri) is gone, so Ward cannot redirect back.",
    fix: "Start again from the client application, which sends a fresh authorization request; clients should create the request only when the user is about to sign in.",
  },
  authorize_parameter_invalid: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "An authorization request parameter has an unusable value",
    description: "Parameter {parameter} is {received}; expected {expected}.",
    params: ["parameter", "received", "expected"],
    cause:
      "The value is longer than Ward accepts, is not of the expected form (max_age must be a whole number of seconds), or names a feature Ward does not offer (request objects: use pushed authorization requests instead).",
    fix: "Send the parameter as described, or leave it out when it is optional.",
    allowRedirect: true,
  },
  prompt_invalid: {
    area: "authorize",
    status: 400,
    oauthError: "invalid_request",
    title: "prompt has an unknown or contradictory value",
    description: "prompt is {received}: {reason}. Ward understands none, login, consent and select_account; none must be alone.",
    params: ["received", "reason"],
    cause:
      'OpenID Connect Core §3.1.2.1 defines prompt as a space-separated list of none, login, consent and select_account, and forbids none together with any other value. A misspelt value (prompt=signin) or a combination such as "none login" cannot be honoured.',
    fix: "Send prompt=none for silent checks, prompt=login to force a fresh sign-in, prompt=consent to show the consent page again; or leave prompt out.",
    allowRedirect: true,
  },
  interaction_unknown: {
    area: "session",
    status: 400,
    oauthError: "invalid_request",
    title: "This sign-in page is no longer valid",
    description: "There is no pending authorization request {id} on this server: it was completed, cancelled or has expired.",
    params: ["id"],
    cause:
      "Each sign-in page belongs to one authorization request, which ends when it redirects back to the application (or after login.interaction_ttl). The back button, a reload after finishing, a bookmarked sign-in page, or a link copied into another browser lead here.",
    fix: "Go back to the application and start signing in again from there.",
  },
  prompt_none_reauthentication_required: {
    area: "authorize",
    status: 400,
    oauthError: "login_required",
    title: "prompt=none but the user must sign in again",
    description: "prompt=none was requested, but {reason}.",
    params: ["reason"],
    cause:
      "A user is signed in, but the request needs a fresh sign-in: max_age has passed since the last one. OpenID Connect answers login_required, since only the sign-in page can fix it.",
    fix: "Repeat the request without prompt=none so the user can sign in again, or send a larger max_age.",
    allowRedirect: true,
  },
  request_object_unsupported: {
    area: "authorize",
    status: 400,
    oauthError: "request_not_supported",
    title: "Request objects are not supported",
    description: "The authorization request carries a request parameter (a request object); Ward does not accept request objects.",
    params: [],
    cause:
      "OpenID Connect §6 request objects (JAR, RFC 9101) are not implemented. The client library was configured to sign or pass the request as a JWT.",
    fix: "Send the authorization parameters directly in the query string (or a form POST).",
    allowRedirect: true,
  },
  request_uri_unsupported: {
    area: "authorize",
    status: 400,
    oauthError: "request_uri_not_supported",
    title: "request_uri is not a pushed request",
    description:
      "The authorization request carries request_uri {received}; Ward accepts only the urn:ietf:params:oauth:request_uri: values its pushed authorization request endpoint returns.",
    params: ["received"],
    cause:
      "request_uri here refers to a request object by reference (OpenID Connect §6.2, RFC 9101), which Ward does not fetch, or the value was damaged on the way (it must start with urn:ietf:params:oauth:request_uri:). The redirect_uri would be inside that request, so Ward cannot redirect back.",
    fix: "Push the authorization parameters to the pushed_authorization_request_endpoint (POST /par) and send the returned request_uri, or send the parameters directly in the query string.",
  },
});
