/**
 * @ward/sdk — the resource-server side of Ward: verify the issuer's access tokens, answer with
 * precise RFC 6750 challenges, serve RFC 9728 Protected Resource Metadata, and plug into node:http
 * or Hono. Every error is a catalog `WardError` with a stable `code`.
 */
export {
  DPOP_ALGORITHMS,
  type DpopCheck,
  DpopNonces,
  type ErrorCode,
  type ErrorDefinition,
  findError,
  formatDescription,
  isWardError,
  listErrors,
  verifyDpopProof,
  WardError,
} from "@ward/core";
export { type AuthenticatedRequest, protectNode, serveMetadata } from "./adapters/node.js";
export { createDpopKey, type DpopKey, dpopFetch, dpopHtu, dpopProof, requestedNonce } from "./client/dpop.js";
export { createPkce, type Pkce } from "./client/pkce.js";
export { type HeldTokens, RefreshFailedError, TokenHolder, type TokenHolderOptions, type TokenSet } from "./client/token-holder.js";
export { discoverIssuer, type IssuerMetadata, metadataUrl } from "./discovery.js";
export type { FetchPolicy } from "./fetch-json.js";
export { createIntrospectionVerifier, type IntrospectionOptions, type IntrospectionVerifier } from "./introspection.js";
export { KeyCache, type KeyCacheOptions } from "./key-cache.js";
export {
  type ProtectedResourceMetadataOptions,
  protectedResourceMetadata,
  protectedResourceMetadataPath,
  protectedResourceMetadataUrl,
} from "./prm.js";
export {
  type Authenticated,
  authenticate,
  authInfo,
  bearerFromHeader,
  type IncomingRequest,
  type ProtectOptions,
  publicUrl,
  type TokenVerifier,
  tokenFromHeader,
  type WardAuthInfo,
} from "./protect.js";
export { MemoryReplayStore, type RedisLike, RedisReplayStore, type ReplayStore } from "./replay-store.js";
export { type ChallengeOptions, type ErrorResponse, errorResponse, wwwAuthenticate } from "./responses.js";
export { requireScope } from "./scopes.js";
export {
  type AccessTokenClaims,
  createVerifier,
  DEFAULT_ALGORITHMS,
  type RequestContext,
  type Verifier,
  type VerifierOptions,
} from "./verifier.js";
