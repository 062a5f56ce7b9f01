import { defineErrors } from "../define.js";

/** Dynamic client registration (RFC 7591) and client ID metadata documents. */
export const registrationErrors = defineErrors({
  registration_disabled: {
    area: "client",
    status: 403,
    oauthError: "access_denied",
    title: "Dynamic client registration is disabled",
    description: "This server does not accept dynamic client registration ({config_key} is off).",
    params: ["config_key"],
    cause: "Open registration is off by default in `ward server`; clients are registered by an administrator.",
    fix: "Register the client with `ward admin clients create …`, or turn dynamic registration on if open registration is wanted.",
  },
  registration_redirect_uri_invalid: {
    area: "client",
    status: 400,
    oauthError: "invalid_redirect_uri",
    title: "Invalid redirect URI in registration",
    description: "redirect_uris[{index}] {received}: expected {expected}.",
    params: ["index", "received", "expected"],
    cause:
      "Redirect URIs must be absolute, without fragment or wildcard; https, or http only on loopback; private-use schemes only for native apps.",
    fix: "Register exact URIs, e.g. https://app.example.com/callback or http://127.0.0.1/callback for a native app.",
  },
  registration_metadata_invalid: {
    area: "client",
    status: 400,
    oauthError: "invalid_client_metadata",
    title: "Invalid client metadata",
    description: "{count} client metadata field(s) are invalid: {summary}",
    params: ["count", "summary"],
    cause: "The registration request does not follow RFC 7591; every offending field is listed.",
    fix: "Correct each listed field and register again.",
  },
  registration_access_token_invalid: {
    area: "client",
    status: 401,
    oauthError: "invalid_token",
    title: "Registration access token invalid",
    description: "The registration access token for client {client_id} is missing or wrong.",
    params: ["client_id"],
    cause: "Reading or changing a dynamically registered client needs the registration_access_token returned at registration.",
    fix: "Send `Authorization: Bearer <registration_access_token>` from the registration response.",
  },
  client_metadata_document_fetch_failed: {
    area: "client",
    status: 400,
    oauthError: "invalid_request",
    title: "Client metadata document could not be fetched",
    description: "Fetching the client metadata document {url} failed: {reason}.",
    params: ["url", "reason"],
    cause:
      "Client ID metadata documents must be served over https from a public address, without redirects, small and fast; private and link-local addresses are refused.",
    fix: "Serve the document at exactly the client_id URL over https, with Content-Type application/json, under the size and time limits.",
  },
  client_metadata_document_invalid: {
    area: "client",
    status: 400,
    oauthError: "invalid_client_metadata",
    title: "Client metadata document is invalid",
    description: "The client metadata document at {url} is invalid: {reason}.",
    params: ["url", "reason"],
    cause: "The document's client_id must equal its own URL, and its metadata follow RFC 7591 (e.g. no client secret).",
    fix: "Set client_id in the document to the document's exact URL and fix the listed problem.",
  },
});
