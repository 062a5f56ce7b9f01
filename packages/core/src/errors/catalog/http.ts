import { defineErrors } from "../define.js";

export const httpErrors = defineErrors({
  internal_error: {
    area: "http",
    status: 500,
    oauthError: "server_error",
    title: "Unexpected server error",
    description:
      "Ward hit an unexpected error while handling this request (request id {request_id}). Nothing about it is shown here; the server log has the details under that request id.",
    params: ["request_id"],
    cause:
      "A bug or an infrastructure failure (for example the database went away mid-request). The request may or may not have taken effect only where the endpoint says so; token and admin writes run in transactions.",
    fix: "Search the server log for the request id. If it is reproducible, report it with the log lines (never with secrets).",
  },
  endpoint_not_found: {
    area: "http",
    status: 404,
    oauthError: "not_found",
    title: "No such endpoint",
    description: "There is no endpoint at {method} {path} on this server. The endpoints this server offers are listed in {metadata_url}.",
    params: ["method", "path", "metadata_url"],
    cause:
      "The URL is mistyped, points at the wrong host (for example the resource server instead of the authorization server), or names an endpoint that is not enabled in this configuration.",
    fix: "Read the authorization server metadata and use the endpoint URLs it lists instead of building them by hand.",
  },
  method_not_allowed: {
    area: "http",
    status: 405,
    oauthError: "method_not_allowed",
    title: "HTTP method not allowed",
    description: "{path} accepts {allowed}, not {method}.",
    params: ["path", "method", "allowed"],
    cause: "The request used an HTTP method this endpoint does not implement.",
    fix: "Send the request with one of the allowed methods.",
  },
  unsupported_media_type: {
    area: "http",
    status: 415,
    oauthError: "unsupported_media_type",
    title: "Unsupported Content-Type",
    description: "{path} expects a body of type {expected}, but the request's Content-Type is {received}.",
    params: ["path", "expected", "received"],
    cause: "The body was sent with the wrong Content-Type header, or without one.",
    fix: "Set the Content-Type header to the expected type and encode the body accordingly.",
  },
  body_malformed: {
    area: "http",
    status: 400,
    oauthError: "invalid_request",
    title: "Request body could not be parsed",
    description: "The request body is not valid {expected}: {reason}.",
    params: ["expected", "reason"],
    cause: "The body is truncated, not encoded as its Content-Type says, or hand-built with a syntax error.",
    fix: "Send a well-formed body; build it with a JSON or form encoder instead of string concatenation.",
  },
  body_too_large: {
    area: "http",
    status: 413,
    oauthError: "payload_too_large",
    title: "Request body too large",
    description: "The request body is {received} bytes; this endpoint accepts at most {limit} bytes.",
    params: ["received", "limit"],
    cause: "The body is larger than any legitimate request to this endpoint.",
    fix: "Send a smaller body. If a legitimate request is this large, report it.",
  },
  protected_resource_metadata_on_authorization_server: {
    area: "discovery",
    status: 404,
    oauthError: "not_found",
    title: "Protected Resource Metadata requested from the authorization server",
    description:
      "{path} was requested from the authorization server {issuer}. Protected Resource Metadata (RFC 9728) is served by each resource server (your API or MCP server), not by Ward.",
    params: ["path", "issuer"],
    cause:
      "A client followed a resource URL to the wrong host, or the resource server's PRM `authorization_servers` entry and the resource URL got swapped.",
    fix: "Serve /.well-known/oauth-protected-resource from the resource server (the @ward/sdk middleware mounts it) and list this issuer in its `authorization_servers`.",
  },
  text_nul_character: {
    area: "http",
    status: 400,
    oauthError: "invalid_request",
    title: "A NUL character in the request",
    description: "{where} contains a NUL character (%00, \\u0000), which no OAuth value may contain.",
    params: ["where"],
    cause:
      "A NUL byte is never part of a client_id, a URL, a token or a name. It comes from a bug that concatenates C strings or buffers, or from a probe for injection flaws. Ward refuses it before it reaches storage (PostgreSQL text cannot hold it).",
    fix: "Remove the NUL character; check how the client builds the value.",
  },
});
