/**
 * @ward/sdk — the resource-server side of Ward. Token and DPoP verification, Protected Resource
 * Metadata and the MCP adapter build on these catalog exports (see the project issues for what
 * lands next). Every error the SDK raises is a catalog `WardError` with a stable `code`.
 */
export { type ErrorCode, type ErrorDefinition, findError, formatDescription, isWardError, listErrors, WardError } from "@ward/core";
