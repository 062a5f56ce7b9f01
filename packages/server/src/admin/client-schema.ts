import { createPublicKey, type JsonWebKey } from "node:crypto";
import { isLoopbackHostname, redirectUriRegistrationProblem } from "@ward/core";
import { z } from "zod";

export const GRANT_TYPES = [
  "authorization_code",
  "refresh_token",
  "client_credentials",
  "urn:ietf:params:oauth:grant-type:device_code",
  "urn:ietf:params:oauth:grant-type:token-exchange",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
] as const;
export const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] as const;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const uriList = z.array(z.string().max(2000)).max(50);

/** JWK members that only private (or symmetric) keys have; a client's jwks holds public keys only. */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;
export const publicJwk = z
  .record(z.string(), z.unknown())
  .refine((key) => typeof key.kty === "string", "a JWK with a kty member")
  .refine(
    (key) => !PRIVATE_JWK_MEMBERS.some((member) => member in key),
    "a public JWK: remove the private members (d, p, q, dp, dq, qi) or symmetric key (k); publish only public keys",
  )
  .refine(isUsablePublicKey, "a usable public key (node could not import it: check kty, crv and the base64url coordinates or modulus)");

function isUsablePublicKey(jwk: Record<string, unknown>): boolean {
  try {
    createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
    return true;
  } catch {
    return false;
  }
}

/** A per-client lifetime in seconds; null removes the override (the resource's or server's default applies). */
function lifetime(min: number, max: number, maxText: string) {
  return z.number().int().min(min, `at least ${min} seconds`).max(max, `at most ${max} seconds (${maxText})`).nullable().optional();
}

/** RFC 7591 client metadata accepted by the admin API (plus RFC 9126 §6, Ward's skip_consent and token lifetimes). */
const clientFields = {
  client_id: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{3,128}$/, "3-128 characters of A-Z a-z 0-9 . _ ~ -")
    .optional(),
  client_name: z.string().min(1).max(200).optional(),
  redirect_uris: uriList,
  post_logout_redirect_uris: uriList,
  grant_types: z.array(z.enum(GRANT_TYPES)).min(1).max(GRANT_TYPES.length),
  response_types: z.array(z.enum(["code"], 'only "code" (OAuth 2.1 has no implicit flow)')).max(1),
  token_endpoint_auth_method: z.enum(AUTH_METHODS),
  scope: z
    .string()
    .max(2000)
    .refine((s) => s.split(" ").every((t) => SCOPE_TOKEN.test(t)), "space-separated scope tokens (no empty tokens, quotes or backslashes)")
    .optional(),
  jwks: z.object({ keys: z.array(publicJwk).min(1).max(20) }).optional(),
  jwks_uri: z
    .url({ protocol: /^https?$/, error: "an https URL" })
    .max(2000)
    .optional(),
  application_type: z.enum(["web", "native"]),
  skip_consent: z.boolean(),
  require_pushed_authorization_requests: z.boolean(),
  access_token_ttl: lifetime(60, 86400, "24 h: use refresh tokens for longer sessions"),
  id_token_ttl: lifetime(60, 86400, "24 h"),
  refresh_token_ttl: lifetime(60, 365 * 86400, "365 days"),
  /** RFC 9449 §5.2: token requests without a DPoP proof are refused. */
  dpop_bound_access_tokens: z.boolean(),
};

export const clientCreateSchema = z
  .object({
    ...clientFields,
    redirect_uris: clientFields.redirect_uris.default([]),
    post_logout_redirect_uris: clientFields.post_logout_redirect_uris.default([]),
    grant_types: clientFields.grant_types.default(["authorization_code"]),
    response_types: clientFields.response_types.optional(),
    token_endpoint_auth_method: clientFields.token_endpoint_auth_method.default("client_secret_basic"),
    application_type: clientFields.application_type.default("web"),
    skip_consent: clientFields.skip_consent.default(false),
    require_pushed_authorization_requests: clientFields.require_pushed_authorization_requests.default(false),
    dpop_bound_access_tokens: clientFields.dpop_bound_access_tokens.default(false),
  })
  .strict();

const { client_id: _ignored, ...updatable } = clientFields;
export const clientUpdateSchema = z.object(updatable).partial().strict();

export type ClientInput = z.infer<typeof clientCreateSchema>;
export type ClientMetadata = Required<
  Omit<
    ClientInput,
    | "client_id"
    | "client_name"
    | "scope"
    | "jwks"
    | "jwks_uri"
    | "response_types"
    | "access_token_ttl"
    | "id_token_ttl"
    | "refresh_token_ttl"
  >
> & {
  access_token_ttl?: number | null | undefined;
  id_token_ttl?: number | null | undefined;
  refresh_token_ttl?: number | null | undefined;
  client_name?: string | undefined;
  scope?: string | undefined;
  jwks?: { keys: Record<string, unknown>[] } | undefined;
  jwks_uri?: string | undefined;
  response_types: string[];
};

export interface ConsistencyProblem {
  field: string;
  received: string;
  expected: string;
}

type MetadataField = keyof ClientMetadata;

/**
 * Rules that span several fields, checked on the final (created or updated) metadata. `isValid`
 * says which fields passed the schema: a rule runs only when every field it reads is valid, so a
 * body with schema errors still gets its other problems listed, and none of them is a guess.
 */
export function clientConsistencyProblems(
  client: ClientMetadata,
  issuerIsLoopback: boolean,
  isValid: (field: MetadataField) => boolean = () => true,
): ConsistencyProblem[] {
  const problems: ConsistencyProblem[] = [];
  const valid = (...fields: MetadataField[]) => fields.every(isValid);
  const policy = { applicationType: client.application_type, issuerIsLoopback };
  for (const [field, list] of [
    ["redirect_uris", client.redirect_uris],
    ["post_logout_redirect_uris", client.post_logout_redirect_uris],
  ] as const) {
    if (!valid(field)) continue;
    if (valid("application_type")) {
      list.forEach((uri, index) => {
        const expected = redirectUriRegistrationProblem(uri, policy);
        if (expected) problems.push({ field: `${field}.${index}`, received: JSON.stringify(uri), expected });
      });
    }
    if (new Set(list).size !== list.length) problems.push({ field, received: JSON.stringify(list), expected: "each URI listed once" });
  }
  if (client.jwks_uri !== undefined && valid("jwks_uri")) {
    const url = new URL(client.jwks_uri);
    if (url.protocol === "http:" && !(issuerIsLoopback && isLoopbackHostname(url.hostname))) {
      problems.push({
        field: "jwks_uri",
        received: JSON.stringify(client.jwks_uri),
        expected: "an https URL (http only on loopback while the issuer is loopback)",
      });
    }
  }
  const grants = client.grant_types;
  const usesCode = grants.includes("authorization_code");
  if (usesCode && client.redirect_uris.length === 0 && valid("grant_types", "redirect_uris")) {
    problems.push({
      field: "redirect_uris",
      received: "[]",
      expected: "at least one redirect URI, since grant_types includes authorization_code",
    });
  }
  if (!usesCode && client.response_types.includes("code") && valid("grant_types", "response_types")) {
    problems.push({
      field: "response_types",
      received: JSON.stringify(client.response_types),
      expected: '[] unless grant_types includes "authorization_code"',
    });
  }
  if (
    client.token_endpoint_auth_method === "none" &&
    grants.includes("client_credentials") &&
    valid("token_endpoint_auth_method", "grant_types")
  ) {
    problems.push({
      field: "grant_types",
      received: JSON.stringify(grants),
      expected: 'no "client_credentials" for a public client (token_endpoint_auth_method "none"); give it a secret or private_key_jwt',
    });
  }
  if (
    client.token_endpoint_auth_method === "private_key_jwt" &&
    !client.jwks &&
    !client.jwks_uri &&
    valid("token_endpoint_auth_method", "jwks", "jwks_uri")
  ) {
    problems.push({
      field: "jwks",
      received: "missing",
      expected: "jwks or jwks_uri, since token_endpoint_auth_method is private_key_jwt",
    });
  }
  if (client.jwks && client.jwks_uri && valid("jwks", "jwks_uri")) {
    problems.push({
      field: "jwks_uri",
      received: JSON.stringify(client.jwks_uri),
      expected: "either jwks or jwks_uri, not both (RFC 7591 §2)",
    });
  }
  const claimableRedirects = client.redirect_uris.filter((uri) => !uri.startsWith("https://"));
  if (
    client.skip_consent &&
    client.token_endpoint_auth_method === "none" &&
    (client.application_type === "native" || claimableRedirects.length > 0) &&
    valid("skip_consent", "token_endpoint_auth_method", "application_type", "redirect_uris")
  ) {
    problems.push({
      field: "skip_consent",
      received: "true",
      expected: `false for a public client with ${claimableRedirects.length ? `a redirect URI any local app can claim (${claimableRedirects[0]})` : 'application_type "native"'}: consent is what stops an impersonating app (RFC 8252 §8.6, RFC 9700 §4.1); use https redirect URIs or a confidential client`,
    });
  }
  return problems;
}

const METADATA_FIELDS = [
  "client_name",
  "redirect_uris",
  "post_logout_redirect_uris",
  "grant_types",
  "response_types",
  "token_endpoint_auth_method",
  "scope",
  "jwks",
  "jwks_uri",
  "application_type",
  "skip_consent",
  "dpop_bound_access_tokens",
] as const satisfies readonly MetadataField[];

/** The response_types a client gets when it does not send them: ["code"] exactly when it uses authorization_code. */
export function defaultResponseTypes(grantTypes: readonly string[]): string[] {
  return grantTypes.includes("authorization_code") ? ["code"] : [];
}

/**
 * For a body that failed `schema`: the cross-field problems among the fields that did parse, so
 * one answer lists every offending field. `base` is the metadata the body applies to (the
 * defaults on create, the stored client on update); each field of the body that parses on its own
 * replaces the base value, the others are marked invalid and their rules skipped.
 */
export function consistencyProblemsBesideSchemaErrors(
  body: unknown,
  schema: { shape: Record<string, unknown> },
  base: ClientMetadata,
  issuerIsLoopback: boolean,
): ConsistencyProblem[] {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return [];
  const raw = body as Record<string, unknown>;
  const metadata: Record<string, unknown> = { ...base };
  const invalid = new Set<MetadataField>();
  for (const field of METADATA_FIELDS) {
    if (!Object.hasOwn(raw, field)) continue;
    const result = (schema.shape[field] as z.ZodType | undefined)?.safeParse(raw[field]);
    if (result?.success) metadata[field] = result.data;
    else invalid.add(field);
  }
  if (!Object.hasOwn(raw, "response_types") && Object.hasOwn(raw, "grant_types")) {
    if (invalid.has("grant_types")) invalid.add("response_types");
    else metadata.response_types = defaultResponseTypes(metadata.grant_types as string[]);
  }
  return clientConsistencyProblems(metadata as ClientMetadata, issuerIsLoopback, (field) => !invalid.has(field));
}
