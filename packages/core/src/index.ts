export { catalog } from "./errors/catalog.js";
export type { HtmlErrorPageOptions, OAuthErrorBody } from "./errors/render.js";
export { errorUri, escapeHtml, toHtmlPage, toOAuthJson } from "./errors/render.js";
export type { ErrorArea, ErrorDefinition, OAuthErrorValue } from "./errors/types.js";
export type { ErrorCode, ErrorParams } from "./errors/ward-error.js";
export { findError, formatDescription, isWardError, listErrors, WardError } from "./errors/ward-error.js";
export { closestMatches, editDistance } from "./url/edit-distance.js";
export { isLoopbackHostname, isLoopbackUrl } from "./url/loopback.js";
export { type RedirectUriPolicy, redirectUriRegistrationProblem } from "./url/redirect-uri.js";
