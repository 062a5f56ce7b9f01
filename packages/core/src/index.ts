export { type BindingOptions, checkDpopBinding, type RequestContext } from "./dpop/binding.js";
export { accessTokenHash, dpopHtu } from "./dpop/htu.js";
export { DpopNonces } from "./dpop/nonces.js";
export { DPOP_ALGORITHMS, type DpopCheck, verifyDpopProof } from "./dpop/proof.js";
export type { ReplayStore } from "./dpop/replay.js";
export { catalog } from "./errors/catalog.js";
export type { HtmlErrorPageOptions, OAuthErrorBody } from "./errors/render.js";
export { errorUri, escapeHtml, toHtmlPage, toOAuthJson } from "./errors/render.js";
export { templateText, troubleshootingMarkdown } from "./errors/troubleshooting.js";
export type { ErrorArea, ErrorDefinition, OAuthErrorValue } from "./errors/types.js";
export type { ErrorCode, ErrorParams } from "./errors/ward-error.js";
export { findError, formatDescription, isWardError, listErrors, WardError } from "./errors/ward-error.js";
export {
  addressProblem,
  type OutboundFailure,
  OutboundFetchError,
  type OutboundOptions,
  type OutboundResponse,
  outboundGet,
  outboundRequest,
  type ResolveHost,
} from "./net/outbound.js";
export { type AuthorizationPkce, checkAuthorizationPkce, checkTokenPkce, s256Challenge } from "./pkce.js";
export { base32Decode, base32Encode, hotp, otpauthUri, type TotpOptions, totp, totpStep, verifyTotp } from "./totp.js";
export { closestMatches, editDistance } from "./url/edit-distance.js";
export { isLoopbackHostname, isLoopbackUrl } from "./url/loopback.js";
export { describeDifference, matchRedirectUri, type RedirectMatch } from "./url/redirect-match.js";
export { type RedirectUriPolicy, redirectUriRegistrationProblem } from "./url/redirect-uri.js";
