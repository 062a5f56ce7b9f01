import { WardError } from "@ward/core";
import { FLOWS, type ProviderDefinition } from "./types.js";

/** host or host:port (lower-case DNS name or IPv4), as `ward run --proxy` matches CONNECT targets. */
export const API_HOST_PATTERN = /^[a-z0-9.-]+(:[0-9]{1,5})?$/;

/** A provider name: also its file name under providers/, so never a path. */
export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const url = { type: "string", format: "uri", pattern: "^https?://" } as const;

/**
 * Variables `ward run` must not set to a credential: ones that make a program load code or options
 * (a token in NODE_OPTIONS or LD_PRELOAD is an instruction), or that steer its proxy, trust or home.
 */
const RESERVED_ENV =
  /^(LD_\w*|DYLD_\w*|WARD_\w*|PATH|HOME|SHELL|ENV|BASH_ENV|IFS|PS4|NODE_OPTIONS|NODE_PATH|NODE_EXTRA_CA_CERTS|PYTHON(PATH|HOME|STARTUP)|PERL5(OPT|LIB)|RUBY(OPT|LIB)|JAVA_TOOL_OPTIONS|GIT_SSH_COMMAND|(HTTPS?|ALL|NO)_PROXY|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE)$/;

/** Headers the proxy must not set to a credential: routing, framing and hop-by-hop ones. */
const RESERVED_HEADERS = ["host", "connection", "content-length", "transfer-encoding", "te", "trailer", "upgrade", "keep-alive", "expect"];

const ENV_VAR_SCHEMA = { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", not: { pattern: RESERVED_ENV.source } } as const;

const envVarProblem = (value: unknown) =>
  typeof value !== "string" || !/^[A-Z_][A-Z0-9_]*$/.test(value) || RESERVED_ENV.test(value)
    ? "an upper-case variable name that no program reads as code, path or proxy (not NODE_OPTIONS, LD_*, PATH, HTTPS_PROXY…)"
    : undefined;

/** JSON Schema (draft 2020-12) of a provider file; `ward providers schema` prints it. */
export const PROVIDER_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://ward.dev/schemas/agent-provider.json",
  title: "Ward agent provider",
  type: "object",
  additionalProperties: false,
  required: ["name", "flows", "default_flow"],
  properties: {
    name: { type: "string", pattern: PROVIDER_NAME_PATTERN.source },
    display_name: { type: "string" },
    issuer: url,
    mcp_url: url,
    authorization_endpoint: url,
    token_endpoint: url,
    device_authorization_endpoint: url,
    registration_endpoint: url,
    revocation_endpoint: url,
    flows: { type: "array", minItems: 1, uniqueItems: true, items: { enum: [...FLOWS] } },
    default_flow: { enum: [...FLOWS] },
    scopes: { type: "array", items: { type: "string", pattern: "^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$" } },
    resource: url,
    client_id: { type: "string", minLength: 1 },
    docs_url: url,
    api_key: {
      type: "object",
      additionalProperties: false,
      required: ["env_var", "header"],
      properties: {
        env_var: ENV_VAR_SCHEMA,
        header: {
          type: "string",
          pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
          description: `not ${RESERVED_HEADERS.join(", ")} or proxy-* (any case)`,
        },
        prefix: { type: "string", pattern: "^[\\x20-\\x7e]*$" },
      },
    },
    env_var: ENV_VAR_SCHEMA,
    api_hosts: { type: "array", items: { type: "string", pattern: API_HOST_PATTERN.source } },
  },
} as const;

const URL_FIELDS = [
  "issuer",
  "mcp_url",
  "authorization_endpoint",
  "token_endpoint",
  "device_authorization_endpoint",
  "registration_endpoint",
  "revocation_endpoint",
  "resource",
  "docs_url",
] as const;

const show = (value: unknown) => (value === undefined ? "missing" : JSON.stringify(value));

/** Checks a parsed provider file against PROVIDER_SCHEMA (the subset it uses); throws agent_provider_invalid naming the field. */
export function validateProvider(value: unknown): ProviderDefinition {
  const name = typeof (value as { name?: unknown })?.name === "string" ? (value as { name: string }).name : "(unnamed)";
  const fail = (field: string, received: unknown, expected: string): never => {
    throw new WardError("agent_provider_invalid", { name, field, received: show(received), expected });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("(file)", value, "a JSON object");
  const p = value as Record<string, unknown>;
  const known = Object.keys(PROVIDER_SCHEMA.properties);
  for (const key of Object.keys(p)) if (!known.includes(key)) fail(key, p[key], `no such field (known: ${known.join(", ")})`);
  if (typeof p.name !== "string" || !PROVIDER_NAME_PATTERN.test(p.name)) fail("name", p.name, "lower-case letters, digits, - and _");
  for (const field of URL_FIELDS) {
    const v = p[field];
    if (v === undefined) continue;
    if (typeof v !== "string" || !URL.canParse(v) || !/^https?:$/.test(new URL(v).protocol)) fail(field, v, "an http(s) URL");
  }
  const flows = p.flows;
  if (!Array.isArray(flows) || flows.length === 0 || flows.some((f) => !FLOWS.includes(f)))
    fail("flows", flows, `a non-empty list of ${FLOWS.join(", ")}`);
  if (!(flows as unknown[]).includes(p.default_flow))
    fail("default_flow", p.default_flow, `one of flows (${(flows as string[]).join(", ")})`);
  if (
    p.scopes !== undefined &&
    (!Array.isArray(p.scopes) || p.scopes.some((s) => typeof s !== "string" || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)))
  )
    fail("scopes", p.scopes, "a list of RFC 6749 scope tokens (no spaces)");
  if (p.client_id !== undefined && (typeof p.client_id !== "string" || p.client_id === ""))
    fail("client_id", p.client_id, "a non-empty string");
  if (p.env_var !== undefined && envVarProblem(p.env_var)) fail("env_var", p.env_var, envVarProblem(p.env_var) as string);
  if (p.api_key !== undefined) {
    const key = p.api_key as Record<string, unknown>;
    if (typeof key !== "object" || key === null) fail("api_key", key, "an object with env_var, header and optional prefix");
    if (envVarProblem(key.env_var)) fail("api_key.env_var", key.env_var, envVarProblem(key.env_var) as string);
    if (
      typeof key.header !== "string" ||
      !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key.header) ||
      RESERVED_HEADERS.includes(key.header.toLowerCase()) ||
      key.header.toLowerCase().startsWith("proxy-")
    )
      fail("api_key.header", key.header, `an HTTP header name other than ${RESERVED_HEADERS.join(", ")} and proxy-*`);
    if (key.prefix !== undefined && (typeof key.prefix !== "string" || !/^[\x20-\x7e]*$/.test(key.prefix)))
      fail("api_key.prefix", key.prefix, 'printable ASCII (e.g. "Bearer ")');
  }
  if (
    p.api_hosts !== undefined &&
    (!Array.isArray(p.api_hosts) || p.api_hosts.some((h) => typeof h !== "string" || !API_HOST_PATTERN.test(h)))
  )
    fail("api_hosts", p.api_hosts, "a list of host or host:port names (lower-case)");
  const oauthFlows = (flows as string[]).filter((f) => f !== "api_key");
  if (oauthFlows.length && !p.issuer && !p.mcp_url && !(p.authorization_endpoint || p.device_authorization_endpoint))
    fail("issuer", p.issuer, "an issuer, an mcp_url, or explicit endpoints for the OAuth flows");
  return p as unknown as ProviderDefinition;
}
