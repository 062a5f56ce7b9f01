import { defineErrors } from "../define.js";

/** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). */
export const logoutErrors = defineErrors({
  id_token_hint_invalid: {
    area: "logout",
    status: 400,
    oauthError: "invalid_request",
    title: "id_token_hint is not a valid ID token from this issuer",
    description: "id_token_hint was not accepted: {reason}.",
    params: ["reason"],
    cause:
      "The hint is an access token, an ID token from another issuer, or was signed by a key that is no longer published. Expired ID tokens are accepted as hints.",
    fix: "Send the ID token this issuer returned to the client, unchanged.",
  },
  post_logout_redirect_uri_unregistered: {
    area: "logout",
    status: 400,
    oauthError: "invalid_request",
    title: "post_logout_redirect_uri not registered",
    description: "post_logout_redirect_uri {received} is not registered for client {client_id}. Registered: {registered}.",
    params: ["received", "client_id", "registered"],
    cause: "Ward redirects after logout only to a URI registered in the client's post_logout_redirect_uris, compared byte for byte.",
    fix: "Register it: `ward admin clients update <client_id> --post-logout-redirect-uri <uri>`, or send a registered one.",
  },
  post_logout_redirect_uri_without_client: {
    area: "logout",
    status: 400,
    oauthError: "invalid_request",
    title: "post_logout_redirect_uri without a client",
    description: "post_logout_redirect_uri was sent without id_token_hint or client_id, so Ward cannot tell which client registered it.",
    params: [],
    cause: "The redirect can only be checked against one client's registration.",
    fix: "Send id_token_hint (preferred) or client_id with post_logout_redirect_uri.",
  },
});
