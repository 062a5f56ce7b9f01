import { WardError } from "@ward/core";
import { z } from "zod";
import {
  type ClientMetadata,
  clientConsistencyProblems,
  clientCreateSchema,
  consistencyProblemsBesideSchemaErrors,
  defaultResponseTypes,
} from "../admin/client-schema.js";
import { type FieldProblem, fieldProblems } from "../admin/validation.js";
import { OIDC_SCOPES } from "../authorize/scopes.js";
import { isLoopbackIssuer } from "../config/safety.js";
import { supportedGrants } from "../endpoints/token.js";
import type { ServerContext } from "../oauth/context.js";
import { listResources } from "../store/resources.js";
import { matchesApprovedRedirect } from "./redirect-patterns.js";

/** RFC 7591 fields Ward stores and returns but never acts on: in particular, these URLs are never fetched. */
const displayUrl = z
  .url({ protocol: /^https?$/, error: "an http(s) URL" })
  .max(2000)
  .optional();
const informational = {
  client_uri: displayUrl,
  logo_uri: displayUrl,
  policy_uri: displayUrl,
  tos_uri: displayUrl,
  contacts: z.array(z.string().min(1).max(320)).max(20).optional(),
  software_id: z.string().min(1).max(200).optional(),
  software_version: z.string().min(1).max(100).optional(),
};
const INFORMATIONAL_FIELDS = Object.keys(informational);

/**
 * What a client may register about itself: the admin API's client rules, minus what only an
 * administrator decides (client_id, skip_consent, token lifetimes). Unknown fields are ignored (RFC 7591 §2).
 */
export const registrationSchema = clientCreateSchema
  .omit({ client_id: true, skip_consent: true, access_token_ttl: true, id_token_ttl: true, refresh_token_ttl: true })
  .extend(informational)
  .strip();

/** Fields a registration request may not carry, and why. */
const REFUSED_FIELDS: Record<string, string> = {
  client_id: "no client_id: the server assigns it (send it only in an RFC 7592 update)",
  client_secret: "no client_secret: the server generates it and returns it once",
  skip_consent: "no skip_consent: dynamically registered clients always ask the user for consent",
  access_token_ttl: "no token lifetimes: only an administrator sets them",
  id_token_ttl: "no token lifetimes: only an administrator sets them",
  refresh_token_ttl: "no token lifetimes: only an administrator sets them",
  software_statement: "no software_statement: Ward does not accept software statements",
  registration_access_token: "no registration_access_token in the request (RFC 7592 §2.2)",
  registration_client_uri: "no registration_client_uri in the request (RFC 7592 §2.2)",
  client_id_issued_at: "no client_id_issued_at in the request (RFC 7592 §2.2)",
  client_secret_expires_at: "no client_secret_expires_at in the request (RFC 7592 §2.2)",
};

export interface RegisteredMetadata {
  metadata: ClientMetadata;
  /** The informational RFC 7591 fields that were sent. */
  informational: Record<string, unknown>;
}

/** The RFC 7591 error for a list of problems: invalid_redirect_uri when a redirect URI is among them, else invalid_client_metadata. */
function refusal(problems: FieldProblem[]): WardError {
  const summary = problems.map((p) => `${p.field}: received ${p.received}, expected ${p.expected}`).join("; ");
  const redirect = problems.some((p) => /^(post_logout_)?redirect_uris\b/.test(p.field));
  return new WardError(
    redirect ? "registration_redirect_uri_invalid" : "registration_metadata_invalid",
    { count: problems.length, summary },
    { details: { fields: problems } },
  );
}

function defaults(): ClientMetadata {
  const parsed = registrationSchema.parse({});
  return { ...parsed, skip_consent: false, response_types: defaultResponseTypes(parsed.grant_types) };
}

/** Grant types the client asks for that this server does not serve with its configuration. */
function unservedGrants(ctx: ServerContext, grants: readonly string[]): FieldProblem[] {
  const served = supportedGrants(ctx.config);
  const unserved = grants.filter((grant) => !served.includes(grant));
  if (unserved.length === 0) return [];
  return [
    { field: "grant_types", received: JSON.stringify(grants), expected: `only grant types this server serves: ${served.join(", ")}` },
  ];
}

/**
 * Grants that act without a user approving anything: only an administrator gives them. A client
 * registering itself also names its own `scope`, so client_credentials would let anyone who can
 * reach /register mint machine tokens for every registered resource.
 */
const ADMIN_ONLY_GRANTS = ["client_credentials"];

function adminOnlyGrants(grants: readonly string[]): FieldProblem[] {
  const refused = grants.filter((grant) => ADMIN_ONLY_GRANTS.includes(grant));
  if (refused.length === 0) return [];
  return [
    {
      field: "grant_types",
      received: JSON.stringify(grants),
      expected: `no ${refused.join(", ")}: only an administrator registers such clients (ward admin clients create)`,
    },
  ];
}

/** Every token must be an OpenID scope or declared on a registered resource. */
async function checkScope(ctx: ServerContext, scope: string | undefined): Promise<void> {
  if (scope === undefined) return;
  const resources = await listResources(ctx.db, ctx.tenantId);
  const allowed = new Set([...Object.keys(OIDC_SCOPES), ...resources.flatMap((r) => r.scopes.map((s) => s.name))]);
  const refused = scope.split(" ").filter((token) => token && !allowed.has(token));
  if (refused.length > 0) {
    throw new WardError("registration_scope_not_allowed", {
      received: JSON.stringify(scope.slice(0, 300)),
      refused: refused.join(" "),
      allowed: [...allowed].join(" "),
    });
  }
}

/** Under registration.policy approved_redirects, every redirect URI must match a configured pattern. */
function checkApprovedRedirects(ctx: ServerContext, metadata: ClientMetadata): void {
  if (ctx.config.registration.policy !== "approved_redirects") return;
  const patterns = ctx.config.registration.approved_redirects;
  metadata.redirect_uris.forEach((uri, index) => {
    if (!matchesApprovedRedirect(uri, patterns)) {
      throw new WardError("registration_redirect_uri_not_approved", {
        index,
        received: JSON.stringify(uri),
        approved: patterns.join(", ") || "(none configured)",
      });
    }
  });
}

/**
 * Validates the metadata of a registration (POST) or of an RFC 7592 replacement (PUT, after its
 * client_id has been checked and removed): every problem listed at once, as RFC 7591 errors.
 */
export async function validateRegistration(ctx: ServerContext, body: unknown): Promise<RegisteredMetadata> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw refusal([{ field: "(body)", received: JSON.stringify(body), expected: "a JSON object of RFC 7591 client metadata" }]);
  }
  const raw = body as Record<string, unknown>;
  const refused: FieldProblem[] = Object.keys(REFUSED_FIELDS)
    .filter((field) => Object.hasOwn(raw, field))
    .map((field) => ({ field, received: "a value", expected: REFUSED_FIELDS[field] as string }));
  const issuerIsLoopback = isLoopbackIssuer(ctx.config);
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) {
    throw refusal([
      ...refused,
      ...fieldProblems(body, parsed.error.issues),
      ...consistencyProblemsBesideSchemaErrors(body, registrationSchema, defaults(), issuerIsLoopback),
    ]);
  }
  const input = parsed.data;
  const metadata: ClientMetadata = {
    client_name: input.client_name,
    redirect_uris: input.redirect_uris,
    post_logout_redirect_uris: input.post_logout_redirect_uris,
    grant_types: input.grant_types,
    response_types: input.response_types ?? defaultResponseTypes(input.grant_types),
    token_endpoint_auth_method: input.token_endpoint_auth_method,
    scope: input.scope,
    jwks: input.jwks,
    jwks_uri: input.jwks_uri,
    application_type: input.application_type,
    skip_consent: false,
    require_pushed_authorization_requests: input.require_pushed_authorization_requests,
    dpop_bound_access_tokens: input.dpop_bound_access_tokens,
  };
  const problems = [
    ...refused,
    ...unservedGrants(ctx, metadata.grant_types),
    ...adminOnlyGrants(metadata.grant_types),
    ...clientConsistencyProblems(metadata, issuerIsLoopback),
  ];
  if (problems.length > 0) throw refusal(problems);
  await checkScope(ctx, metadata.scope);
  checkApprovedRedirects(ctx, metadata);
  const extra = Object.fromEntries(
    INFORMATIONAL_FIELDS.filter((field) => (input as Record<string, unknown>)[field] !== undefined).map((field) => [
      field,
      (input as Record<string, unknown>)[field],
    ]),
  );
  return { metadata, informational: extra };
}
