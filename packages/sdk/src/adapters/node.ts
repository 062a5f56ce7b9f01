import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { isWardError } from "@ward/core";
import { protectedResourceMetadataPath } from "../prm.js";
import {
  type Authenticated,
  authenticate,
  authInfo,
  failure,
  type IncomingRequest,
  metadataDocument,
  type ProtectOptions,
  type WardAuthInfo,
} from "../protect.js";

/** A request that passed verification: `auth` as the MCP SDK's servers expect it, plus Ward's claims. */
export interface AuthenticatedRequest extends IncomingMessage {
  auth: WardAuthInfo;
}

/** Default for errors a handler throws that are not catalog errors: the process keeps running, the stack goes to stderr. */
const reportError = (error: unknown) => console.error("@ward/sdk: the protected handler threw", error);

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

/** The adapter-neutral view of a node:http request. */
export function nodeRequest(req: IncomingMessage): IncomingRequest {
  return {
    method: req.method ?? "GET",
    path: req.url ?? "/",
    header: (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
  };
}

/** Serves GET <path-inserted well-known URL> and GET /.well-known/oauth-protected-resource; true when it answered. */
export function serveMetadata(options: ProtectOptions, req: IncomingMessage, res: ServerResponse): boolean {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  const paths = new Set([protectedResourceMetadataPath(options.verifier.options.resource), "/.well-known/oauth-protected-resource"]);
  if (req.method !== "GET" || !paths.has(path)) return false;
  send(
    res,
    200,
    { "content-type": "application/json", "cache-control": "public, max-age=3600", "access-control-allow-origin": "*" },
    metadataDocument(options),
  );
  return true;
}

/**
 * Wraps a node:http handler: Protected Resource Metadata is served, every other request needs a
 * valid token (401/403 with the RFC 6750 challenge and resource_metadata otherwise), and the handler
 * gets `req.auth`. A WardError the handler throws (requireScope) is answered the same way.
 *
 * @example
 * const verifier = createVerifier({ issuer, resource: "https://api.example.com/notes" });
 * http.createServer(protectNode({ verifier, scopes: ["notes:read"] }, (req, res) => res.end(req.auth.clientId))).listen(8080);
 */
export function protectNode(
  options: ProtectOptions,
  handler: (req: AuthenticatedRequest, res: ServerResponse) => void | Promise<void>,
): RequestListener {
  return async (req, res) => {
    if (serveMetadata(options, req, res)) return;
    let authenticated: Authenticated;
    try {
      authenticated = await authenticate(options, nodeRequest(req));
    } catch (error) {
      const answer = failure(options, error);
      send(res, answer.status, answer.headers, answer.body);
      return;
    }
    (req as AuthenticatedRequest).auth = authInfo(options.verifier.options.resource, authenticated.token, authenticated.claims);
    try {
      await handler(req as AuthenticatedRequest, res);
    } catch (error) {
      // requireScope() inside the handler: answer 403 with the step-up challenge; anything else is a 500 without details.
      if (res.headersSent) {
        // Too late for an error answer: report it and cut the response (an async listener must never reject).
        (options.onError ?? reportError)(error);
        res.destroy();
        return;
      }
      const answer = failure(options, error);
      send(res, answer.status, answer.headers, answer.body);
      if (!isWardError(error)) (options.onError ?? reportError)(error);
    }
  };
}
