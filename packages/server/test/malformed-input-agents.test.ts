import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { NATIVE_REDIRECT, RESOURCE, seedFlowFixtures, verifierAndChallenge } from "./support/flow.js";
import { b64, type Case, checkCase, duplicates, form, KB, post, TABLES } from "./support/malformed.js";

/**
 * Malformed input on the endpoints and grants of issue 5 (DCR and RFC 7592, PAR, the device flow,
 * token exchange, JWT bearer), with every one of them turned on: never a 5xx, never a stack trace,
 * the exact catalog code, and no row added anywhere (registrations, pushed requests and device
 * codes included).
 */
const t = useTestWard({
  registration: { policy: "open" },
  grants: { device_code: true, token_exchange: true, jwt_bearer: true },
});
let webSecret = "";
let exchangerAuth = "";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";
const ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
const JSON_TYPE = { "content-type": "application/json" };
const ALL_TABLES = [...TABLES, "client_registrations", "pushed_requests", "device_codes"] as const;

const json = (path: string, body: string, extra: Partial<Case> = {}) => post(path, body, { headers: JSON_TYPE, ...extra });
const client = { redirect_uris: [NATIVE_REDIRECT], token_endpoint_auth_method: "none" };

const REGISTER_CASES: Case[] = [
  { name: "/register: GET", path: "/register", status: 405, code: "method_not_allowed", allow: "POST" },
  { name: "/register: invalid JSON", ...json("/register", "{"), status: 400, code: "body_malformed" },
  { name: "/register: a JSON array", ...json("/register", "[]"), status: 400, code: "registration_metadata_invalid" },
  { name: "/register: JSON null", ...json("/register", "null"), status: 400, code: "registration_metadata_invalid" },
  {
    name: "/register: NUL in client_name",
    ...json("/register", JSON.stringify({ ...client, client_name: "a\u0000b" })),
    status: 400,
    code: "registration_metadata_invalid",
  },
  {
    name: "/register: redirect_uris as a string",
    ...json("/register", JSON.stringify({ ...client, redirect_uris: NATIVE_REDIRECT })),
    status: 400,
    code: "registration_redirect_uri_invalid",
  },
  {
    name: "/register: grant_types as an object",
    ...json("/register", JSON.stringify({ ...client, grant_types: { 0: "authorization_code" } })),
    status: 400,
    code: "registration_metadata_invalid",
  },
  {
    name: "/register: client_name of 10 KB",
    ...json("/register", JSON.stringify({ ...client, client_name: "n".repeat(10 * KB) })),
    status: 400,
    code: "registration_metadata_invalid",
  },
  {
    name: "/register: a form body",
    ...post("/register", form({ redirect_uris: NATIVE_REDIRECT })),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "/register: 100 KB body",
    ...json("/register", JSON.stringify({ ...client, pad: "a".repeat(100 * KB) })),
    status: 413,
    code: "body_too_large",
  },
  {
    name: "/register/:id: GET without a registration access token",
    path: "/register/unknown-client",
    status: 401,
    code: "registration_access_token_invalid",
  },
  {
    name: "/register/:id: a client_id of 8 KB",
    path: `/register/${"c".repeat(8 * KB)}`,
    headers: { authorization: "Bearer x" },
    status: 401,
    code: "registration_access_token_invalid",
  },
  {
    name: "/register/:id: PUT with invalid JSON and no token",
    ...json("/register/cli-app", "{", { method: "PUT" }),
    status: 401,
    code: "registration_access_token_invalid",
  },
  {
    name: "/register/:id: DELETE of an admin-created client with a made-up token",
    method: "DELETE",
    path: "/register/web-app",
    headers: { authorization: "Bearer made-up" },
    status: 401,
    code: "registration_access_token_invalid",
  },
  {
    name: "/register/:id: PATCH",
    ...json("/register/cli-app", "{}", { method: "PATCH" }),
    status: 405,
    code: "method_not_allowed",
    allow: "GET, PUT, DELETE",
  },
];

const { challenge } = verifierAndChallenge();
const pushed = {
  client_id: "cli-app",
  response_type: "code",
  redirect_uri: NATIVE_REDIRECT,
  scope: "openid",
  code_challenge: challenge,
  code_challenge_method: "S256",
};

const PAR_CASES: Case[] = [
  { name: "/par: GET", path: "/par", status: 405, code: "method_not_allowed", allow: "POST" },
  { name: "/par: empty body, no client", ...post("/par", ""), status: 401, code: "client_not_identified" },
  { name: "/par: JSON body", ...json("/par", JSON.stringify(pushed)), status: 415, code: "unsupported_media_type" },
  { name: "/par: 100 KB body", ...post("/par", `${form(pushed)}&pad=${"a".repeat(100 * KB)}`), status: 413, code: "body_too_large" },
  { name: "/par: NUL in a value", ...post("/par", `${form(pushed)}&state=a%00b`), status: 400, code: "text_nul_character" },
  ...duplicates("/par", pushed, "authorize_parameter_repeated"),
  {
    name: "/par: a request_uri inside the push",
    ...post("/par", form({ ...pushed, request_uri: "urn:ietf:params:oauth:request_uri:x" })),
    status: 400,
    code: "request_uri_in_pushed_request",
  },
  {
    name: "/par: a malformed DPoP header",
    ...post("/par", form(pushed), { headers: { "content-type": "application/x-www-form-urlencoded", dpop: "not-a-jwt" } }),
    status: 400,
    code: "dpop_proof_invalid",
  },
  {
    name: "/par: response_type as an array (response_type[]=)",
    ...post("/par", form({ ...pushed, response_type: "" }).replace("response_type=", "response_type[]=code")),
    status: 400,
    code: "response_type_missing",
  },
];

const deviceRequest = { client_id: "tv-app", scope: "openid" };
const DEVICE_CASES: Case[] = [
  { name: "/device_authorization: GET", path: "/device_authorization", status: 405, code: "method_not_allowed", allow: "POST" },
  {
    name: "/device_authorization: no client",
    ...post("/device_authorization", "scope=openid"),
    status: 401,
    code: "client_not_identified",
  },
  ...duplicates("/device_authorization", deviceRequest, "token_parameter_repeated"),
  { name: "/device: PUT", method: "PUT", path: "/device", status: 405, code: "method_not_allowed", allow: "GET, POST" },
];

/** Each grant's request that fails only on what the case changes (the exchanger client may use both grants). */
const exchange = { grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN, subject_token: "x.y.z", resource: RESOURCE };
const bearer = { grant_type: JWT_BEARER, assertion: "x.y.z", resource: RESOURCE };
const grantPost = (body: string) =>
  post("/token", body, { headers: { "content-type": "application/x-www-form-urlencoded", authorization: exchangerAuth } });

function grantCases(): Case[] {
  // resource may be repeated (RFC 8707); every other parameter may not.
  const once = (c: Case) => !c.name.startsWith("/token: resource");
  return [
    ...duplicates("/token", exchange, "token_parameter_repeated").filter(once),
    {
      name: "token exchange: no subject_token",
      ...grantPost(form({ grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN })),
      status: 400,
      code: "token_parameter_missing",
    },
    {
      name: "token exchange: subject_token as an array",
      ...grantPost(`${form({ grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN })}&subject_token[]=x`),
      status: 400,
      code: "token_parameter_missing",
    },
    {
      name: "token exchange: subject_token of 20 KB",
      ...grantPost(form({ ...exchange, subject_token: "a".repeat(20 * KB) })),
      status: 400,
      code: "token_parameter_invalid",
    },
    {
      name: "token exchange: NUL in subject_token",
      ...grantPost(`${form(exchange)}`.replace("subject_token=x.y.z", "subject_token=x%00y")),
      status: 400,
      code: "text_nul_character",
    },
    {
      name: "token exchange: an ID token type",
      ...grantPost(form({ ...exchange, subject_token_type: "urn:ietf:params:oauth:token-type:id_token" })),
      status: 400,
      code: "token_exchange_token_type_unsupported",
    },
    {
      name: "token exchange: a subject_token that is not a JWT",
      ...grantPost(form(exchange)),
      status: 400,
      code: "token_exchange_subject_token_invalid",
    },
    ...duplicates("/token", bearer, "token_parameter_repeated").filter(once),
    {
      name: "jwt bearer: no assertion",
      ...grantPost(form({ grant_type: JWT_BEARER })),
      status: 400,
      code: "token_parameter_missing",
    },
    {
      name: "jwt bearer: an assertion of 20 KB",
      ...grantPost(form({ ...bearer, assertion: "a".repeat(20 * KB) })),
      status: 400,
      code: "token_parameter_invalid",
    },
    {
      name: "jwt bearer: an assertion that is not a JWT",
      ...grantPost(form(bearer)),
      status: 400,
      code: "jwt_bearer_assertion_malformed",
    },
    {
      name: "device grant: device_code sent twice",
      ...post("/token", `${form({ grant_type: DEVICE_CODE, client_id: "tv-app", device_code: "d" })}&device_code=d`),
      status: 400,
      code: "token_parameter_repeated",
    },
  ];
}

beforeAll(async () => {
  ({ webSecret } = await seedFlowFixtures(t));
  for (const body of [
    { client_id: "tv-app", grant_types: [DEVICE_CODE], redirect_uris: [], response_types: [], token_endpoint_auth_method: "none" },
    {
      client_id: "exchanger",
      grant_types: [TOKEN_EXCHANGE, JWT_BEARER],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ]) {
    const response = await t.admin("/admin/v1/clients", { body });
    const created = (await response.json()) as { client_secret?: string };
    expect(response.status, JSON.stringify(created)).toBe(201);
    if (created.client_secret) exchangerAuth = `Basic ${b64(`exchanger:${created.client_secret}`)}`;
  }
});

describe("malformed input on the issue 5 endpoints and grants: < 500, exact catalog code, nothing stored", () => {
  for (const c of [...REGISTER_CASES, ...PAR_CASES, ...DEVICE_CASES]) {
    it(c.name, async () => {
      await checkCase(t, c, webSecret, ALL_TABLES);
    });
  }

  it("token exchange, JWT bearer and device grants", async () => {
    for (const c of grantCases()) {
      const withAuth = c.name.startsWith("/token:") ? { ...c, headers: { ...c.headers, authorization: exchangerAuth } } : c;
      await checkCase(t, withAuth, webSecret, ALL_TABLES).catch((error: Error) => {
        throw new Error(`${c.name}: ${error.message}`);
      });
    }
  });
});
