import { InsufficientScopeError, InvalidTokenError, ServerError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { OAuthTokenVerifier } from "@modelcontextprotocol/sdk/server/auth/provider.js";
import { isWardError } from "@ward/core";
import { authInfo, type TokenVerifier } from "../protect.js";

/**
 * For servers that use the MCP SDK's own `requireBearerAuth`: a token verifier backed by Ward's.
 * Catalog errors become the MCP SDK's errors, their message carrying the catalog code, e.g.
 * "token_audience_mismatch: The token's aud is …". (`wardExpress` answers with Ward's own, richer
 * challenges and per-tool step-up.)
 *
 * @example
 * app.post("/mcp", requireBearerAuth({ verifier: mcpTokenVerifier(verifier), resourceMetadataUrl }), handleMcp);
 */
export function mcpTokenVerifier(verifier: TokenVerifier): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token: string) {
      try {
        return authInfo(verifier.options.resource, token, await verifier.verify(token));
      } catch (error) {
        if (!isWardError(error)) throw error;
        const message = `${error.code}: ${error.message}`;
        if (error.status === 403) throw new InsufficientScopeError(message);
        if (error.status === 401) throw new InvalidTokenError(message);
        throw new ServerError(message);
      }
    },
  };
}
