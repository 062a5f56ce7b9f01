import { isWardError, WardError } from "@ward/core";
import type { Express, NextFunction, Request, RequestHandler, Response } from "express";
import { protectedResourceMetadataPath } from "../prm.js";
import { authenticate, authInfo, failure, metadataDocument, type ProtectOptions, type WardAuthInfo } from "../protect.js";
import { requireScope } from "../scopes.js";

export interface ExpressProtectOptions extends ProtectOptions {
  /**
   * Scopes per MCP tool: a JSON-RPC `tools/call` of a listed tool without them is answered 403
   * insufficient_scope with the scope to ask for (step-up), before the MCP server sees it. Needs
   * `express.json()` before this middleware.
   */
  toolScopes?: Readonly<Record<string, readonly string[]>>;
}

/** The scopes a JSON-RPC body (one message or a batch) needs, by the tools it calls. */
function scopesForToolCalls(body: unknown, toolScopes: Readonly<Record<string, readonly string[]>>): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const needed = new Set<string>();
  for (const message of messages) {
    const call = message as { method?: unknown; params?: { name?: unknown } } | null;
    if (call?.method !== "tools/call" || typeof call.params?.name !== "string") continue;
    const name = call.params.name;
    for (const scope of Object.hasOwn(toolScopes, name) ? (toolScopes[name] ?? []) : []) needed.add(scope);
  }
  return [...needed];
}

/** Serves this resource's Protected Resource Metadata at the path-inserted and the root well-known URLs. */
export function serveProtectedResourceMetadata(app: Express, options: ProtectOptions): void {
  const serve = (_req: Request, res: Response) => {
    res.set("Cache-Control", "public, max-age=3600").set("Access-Control-Allow-Origin", "*").json(metadataDocument(options));
  };
  app.get(protectedResourceMetadataPath(options.verifier.options.resource), serve);
  app.get("/.well-known/oauth-protected-resource", serve);
}

/**
 * Express middleware: a valid token (and the configured scopes, and the scopes of any MCP tool
 * called) or a 401/403 with the RFC 6750 challenge naming this resource's metadata. Sets `req.auth`.
 *
 * @example
 * app.post("/mcp", express.json(), wardExpress({ verifier, scopes: ["notes:read"], toolScopes: { "notes.write": ["notes:write"] } }), handleMcp);
 */
export function wardExpress(options: ExpressProtectOptions): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const { token, claims } = await authenticate(options, { method: req.method, path: req.originalUrl, header: (name) => req.get(name) });
      if (options.toolScopes) {
        if (req.method === "POST" && req.body === undefined) {
          // Without a parsed body the tool cannot be known: refuse rather than let the MCP transport parse it unchecked.
          throw new WardError("body_malformed", {
            expected: "JSON (mount express.json() before wardExpress when toolScopes is set)",
            reason: "the request body was not parsed",
          });
        }
        const needed = scopesForToolCalls(req.body, options.toolScopes);
        if (needed.length > 0) requireScope(claims, ...needed);
      }
      (req as Request & { auth: WardAuthInfo }).auth = authInfo(options.verifier.options.resource, token, claims);
    } catch (error) {
      if (!isWardError(error)) return next(error);
      const answer = failure(options, error);
      res.status(answer.status).set(answer.headers).json(answer.body);
      return;
    }
    next();
  };
}

export type { WardAuthInfo } from "../protect.js";
