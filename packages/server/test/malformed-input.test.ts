import { randomBytes } from "node:crypto";
import { findError } from "@ward/core";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { TestBrowser } from "./support/browser.js";
import { authorizeUrl, NATIVE_REDIRECT, RESOURCE, seedFlowFixtures, verifierAndChallenge, WEB_REDIRECT } from "./support/flow.js";
import { type Body, b64, type Case, checkCase, counts, duplicates, expectNoStackTrace, FORM, form, KB, post } from "./support/malformed.js";

/**
 * Malformed input on every public endpoint: never a 5xx, never a stack trace, always the exact
 * catalog code, and nothing stored (no token, code, session, interaction or audit event) except the
 * login failures a sign-in form is expected to record.
 */
const t = useTestWard();
let webSecret = "";
const { challenge, verifier } = verifierAndChallenge();

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const randomToken = () => randomBytes(32).toString("base64url");
/** A JWT-shaped value that no key of Ward signed. */
const unsignedJwt = (header: Record<string, unknown>, payload: Record<string, unknown> = { sub: "x", exp: 4102444800, jti: "j" }) =>
  `${b64url(header)}.${b64url(payload)}.${randomBytes(64).toString("base64url")}`;
const algNoneJwt = `${b64url({ alg: "none", typ: "at+jwt" })}.${b64url({ sub: "usr_x", client_id: "cli-app", scope: "openid", exp: 4102444800, jti: "x" })}.`;

/** A code exchange of cli-app that fails only because the code is unknown. */
const codeExchange = {
  grant_type: "authorization_code",
  code: "unknown-code",
  redirect_uri: NATIVE_REDIRECT,
  code_verifier: verifier,
  client_id: "cli-app",
};

const invalidUtf8 = (prefix: string) => Buffer.concat([Buffer.from(prefix), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0])]);

const TOKEN_CASES: Case[] = [
  { name: "/token: empty body", ...post("/token", ""), status: 400, code: "grant_type_missing" },
  {
    name: "/token: no content type",
    method: "POST",
    path: "/token",
    body: form(codeExchange),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "/token: JSON body where a form is expected",
    ...post("/token", JSON.stringify(codeExchange), { headers: { "content-type": "application/json" } }),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "/token: text/plain body",
    ...post("/token", form(codeExchange), { headers: { "content-type": "text/plain" } }),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "/token: 100 KB body",
    ...post("/token", `${form(codeExchange)}&pad=${"a".repeat(100 * KB)}`),
    status: 413,
    code: "body_too_large",
  },
  ...duplicates("/token", codeExchange, "token_parameter_repeated"),
  ...duplicates(
    "/token",
    { grant_type: "refresh_token", refresh_token: "r", client_id: "cli-app", scope: "openid" },
    "token_parameter_repeated",
  ),
  {
    name: "/token: client_secret sent twice",
    ...post("/token", form({ ...codeExchange, client_id: "web-app", client_secret: "a" }).concat("&client_secret=b")),
    status: 400,
    code: "token_parameter_repeated",
  },
  {
    name: "/token: grant_type as an array (grant_type[]=)",
    ...post("/token", "grant_type[]=authorization_code"),
    status: 400,
    code: "grant_type_missing",
  },
  {
    name: "/token: invalid percent-encoding",
    ...post("/token", "grant_type=%zz&code=%&client_id=%E0%A4%A"),
    status: 400,
    code: "grant_type_unsupported",
  },
  {
    name: "/token: NUL byte in grant_type",
    ...post("/token", "grant_type=authorization_code%00"),
    status: 400,
    code: "text_nul_character",
  },
  {
    name: "/token: invalid UTF-8 (percent-encoded)",
    ...post("/token", "grant_type=%FF%FE%C3%28"),
    status: 400,
    code: "grant_type_unsupported",
  },
  { name: "/token: invalid UTF-8 (raw bytes)", ...post("/token", invalidUtf8("grant_type=")), status: 400, code: "grant_type_unsupported" },
  {
    name: "/token: unknown grant_type",
    ...post("/token", form({ ...codeExchange, grant_type: "urn:example:magic" })),
    status: 400,
    code: "grant_type_unsupported",
  },
  {
    name: "/token: password grant",
    ...post("/token", form({ ...codeExchange, grant_type: "password" })),
    status: 400,
    code: "grant_type_unsupported",
  },
  {
    name: "/token: grant_type=__proto__",
    ...post("/token", form({ ...codeExchange, grant_type: "__proto__" })),
    status: 400,
    code: "grant_type_unsupported",
  },
  {
    name: "/token: grant_type=constructor",
    ...post("/token", form({ ...codeExchange, grant_type: "constructor" })),
    status: 400,
    code: "grant_type_unsupported",
  },
  {
    name: "/token: grant_type of 8 KB",
    ...post("/token", form({ ...codeExchange, grant_type: "g".repeat(8 * KB) })),
    status: 400,
    code: "grant_type_unsupported",
  },
  { name: "/token: code missing", ...post("/token", form({ ...codeExchange, code: "" })), status: 400, code: "authorization_code_missing" },
  {
    name: "/token: random bytes as code",
    ...post("/token", form({ ...codeExchange, code: randomToken() })),
    status: 400,
    code: "authorization_code_invalid",
  },
  {
    name: "/token: NUL bytes in code",
    ...post("/token", form({ ...codeExchange, code: "\u0000\u0000abc" })),
    status: 400,
    code: "text_nul_character",
  },
  {
    name: "/token: code of 8 KB",
    ...post("/token", form({ ...codeExchange, code: "c".repeat(8 * KB) })),
    status: 400,
    code: "token_parameter_invalid",
  },
  {
    name: "/token: refresh_token missing",
    ...post("/token", form({ grant_type: "refresh_token", client_id: "cli-app" })),
    status: 400,
    code: "refresh_token_missing",
  },
  {
    name: "/token: random bytes as refresh_token",
    ...post("/token", form({ grant_type: "refresh_token", refresh_token: randomToken(), client_id: "cli-app" })),
    status: 400,
    code: "refresh_token_invalid",
  },
  {
    name: "/token: refresh_token of 10 KB",
    ...post("/token", form({ grant_type: "refresh_token", refresh_token: "r".repeat(10 * KB), client_id: "cli-app" })),
    status: 400,
    code: "token_parameter_invalid",
  },
  {
    name: "/token: client_assertion that is not a JWT",
    ...post(
      "/token",
      form({
        ...codeExchange,
        client_id: "api-server",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "not-a-jwt",
      }),
    ),
    status: 401,
    code: "client_assertion_invalid",
  },
  {
    name: "/token: client_assertion with a wrong client_assertion_type",
    ...post("/token", form({ ...codeExchange, client_id: "api-server", client_assertion_type: "jwt", client_assertion: "a.b.c" })),
    status: 401,
    code: "client_assertion_invalid",
  },
  {
    name: "/token: client_assertion of 10 KB",
    ...post(
      "/token",
      form({
        ...codeExchange,
        client_id: "api-server",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "x".repeat(10 * KB),
      }),
    ),
    status: 401,
    code: "client_assertion_invalid",
  },
  {
    name: "/token: unknown client_id",
    ...post("/token", form({ ...codeExchange, client_id: "nobody" })),
    status: 401,
    code: "client_unknown",
  },
  {
    name: "/token: client_id of 8 KB",
    ...post("/token", form({ ...codeExchange, client_id: "c".repeat(8 * KB) })),
    status: 401,
    code: "client_unknown",
  },
  {
    name: "/token: client_id empty",
    ...post("/token", form({ ...codeExchange, client_id: "" })),
    status: 401,
    code: "client_not_identified",
  },
  {
    name: "/token: public client sending a secret",
    ...post("/token", form({ ...codeExchange, client_secret: "guess" })),
    status: 401,
    code: "client_public_secret_sent",
  },
  {
    name: "/token: confidential client without credentials",
    ...post("/token", form({ ...codeExchange, client_id: "web-app", redirect_uri: WEB_REDIRECT })),
    status: 401,
    code: "client_authentication_missing",
  },
  {
    name: "/token: Basic with no colon",
    ...post("/token", form({ grant_type: "authorization_code", code: "x" }), {
      headers: { "content-type": FORM, authorization: `Basic ${b64("web-app")}` },
    }),
    status: 401,
    code: "client_basic_auth_malformed",
  },
  {
    name: "/token: Basic with invalid base64",
    ...post("/token", form({ grant_type: "authorization_code", code: "x" }), {
      headers: { "content-type": FORM, authorization: "Basic !!!not*base64!!!" },
    }),
    status: 401,
    code: "client_basic_auth_malformed",
  },
  {
    name: "/token: Basic with only padding",
    ...post("/token", form({ grant_type: "authorization_code", code: "x" }), {
      headers: { "content-type": FORM, authorization: "Basic =" },
    }),
    status: 401,
    code: "client_basic_auth_malformed",
  },
  {
    name: "/token: Basic with invalid form-urlencoding inside",
    ...post("/token", form({ grant_type: "authorization_code", code: "x" }), {
      headers: { "content-type": FORM, authorization: `Basic ${b64("web%zz:sec%ret")}` },
    }),
    status: 401,
    code: "client_basic_auth_malformed",
  },
  {
    name: "/token: Basic with invalid UTF-8 inside",
    ...post("/token", form({ grant_type: "authorization_code", code: "x" }), {
      headers: { "content-type": FORM, authorization: `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0xc3]).toString("base64")}` },
    }),
    status: 401,
    code: "client_unknown",
  },
  {
    name: "/token: very long Basic (12 KB)",
    ...post("/token", form({ grant_type: "authorization_code", code: "x" }), {
      headers: { "content-type": FORM, authorization: `Basic ${b64(`nobody:${"s".repeat(9 * KB)}`)}` },
    }),
    status: 401,
    code: "client_unknown",
  },
  {
    name: "/token: Basic and client_secret_post together",
    ...post("/token", form({ grant_type: "authorization_code", code: "x", client_secret: "x" }), {
      headers: { "content-type": FORM, authorization: `Basic ${b64("web-app:x")}` },
    }),
    status: 400,
    code: "client_auth_multiple_methods",
  },
  {
    name: "/token: Bearer garbage instead of client credentials",
    ...post("/token", form({ grant_type: "authorization_code", code: "x" }), {
      headers: { "content-type": FORM, authorization: "Bearer garbage" },
    }),
    status: 401,
    code: "client_not_identified",
  },
  { name: "/token: GET", path: `/token?${form(codeExchange)}`, status: 405, code: "method_not_allowed", allow: "POST" },
  {
    name: "/token: GET with an 8 KB query value",
    path: `/token?grant_type=${"g".repeat(8 * KB)}`,
    status: 405,
    code: "method_not_allowed",
    allow: "POST",
  },
  { name: "/token: PUT", ...post("/token", form(codeExchange), { method: "PUT" }), status: 405, code: "method_not_allowed", allow: "POST" },
  { name: "/token: DELETE", method: "DELETE", path: "/token", status: 405, code: "method_not_allowed", allow: "POST" },
];

/** /revoke and /introspect share client authentication and the token parameter. */
function tokenManagementCases(path: "/revoke" | "/introspect", okJson: Record<string, unknown> | undefined): Case[] {
  const ok = (name: string, token: string): Case => ({
    name: `${path}: ${name}`,
    ...post(path, form({ token })),
    auth: "web",
    status: 200,
    ...(okJson ? { json: okJson } : {}),
  });
  return [
    { name: `${path}: GET`, path: `${path}?token=x`, status: 405, code: "method_not_allowed", allow: "POST" },
    { name: `${path}: empty body, no client`, ...post(path, ""), status: 401, code: "client_not_identified" },
    { name: `${path}: token missing`, ...post(path, ""), auth: "web", status: 400, code: "token_parameter_missing" },
    {
      name: `${path}: JSON body`,
      ...post(path, JSON.stringify({ token: "x" }), { headers: { "content-type": "application/json" } }),
      auth: "web",
      status: 415,
      code: "unsupported_media_type",
    },
    {
      name: `${path}: 100 KB body`,
      ...post(path, form({ token: "t".repeat(100 * KB) })),
      auth: "web",
      status: 413,
      code: "body_too_large",
    },
    {
      name: `${path}: token of 10 KB`,
      ...post(path, form({ token: "t".repeat(10 * KB) })),
      auth: "web",
      status: 400,
      code: "token_parameter_invalid",
    },
    ok("random bytes as token", randomToken()),
    ok("JWT-shaped garbage token", "a.b.c"),
    ok("unsigned at+jwt token", unsignedJwt({ alg: "ES256", typ: "at+jwt", kid: "nope" })),
    ok("alg none token", algNoneJwt),
    {
      name: `${path}: NUL bytes in token`,
      ...post(path, form({ token: "\u0000abc\u0000" })),
      auth: "web",
      status: 400,
      code: "text_nul_character",
    },
    {
      name: `${path}: invalid UTF-8 token (raw bytes)`,
      ...post(path, invalidUtf8("token=")),
      auth: "web",
      status: 200,
      ...(okJson ? { json: okJson } : {}),
    },
    {
      name: `${path}: token as an array (token[]=)`,
      ...post(path, "token[]=abc"),
      auth: "web",
      status: 400,
      code: "token_parameter_missing",
    },
    {
      name: `${path}: invalid percent-encoding`,
      ...post(path, "token=%zz%"),
      auth: "web",
      status: 200,
      ...(okJson ? { json: okJson } : {}),
    },
    {
      name: `${path}: Basic with no colon`,
      ...post(path, form({ token: "x" }), { headers: { "content-type": FORM, authorization: `Basic ${b64("web-app")}` } }),
      status: 401,
      code: "client_basic_auth_malformed",
    },
    {
      name: `${path}: Basic with invalid base64`,
      ...post(path, form({ token: "x" }), { headers: { "content-type": FORM, authorization: "Basic ***" } }),
      status: 401,
      code: "client_basic_auth_malformed",
    },
    {
      name: `${path}: wrong client secret`,
      ...post(path, form({ token: "x" }), { headers: { "content-type": FORM, authorization: `Basic ${b64("web-app:wrong")}` } }),
      status: 401,
      code: "client_secret_invalid",
    },
    {
      name: `${path}: client_assertion that is not a JWT`,
      ...post(
        path,
        form({
          token: "x",
          client_id: "api-server",
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: "not-a-jwt",
        }),
      ),
      status: 401,
      code: "client_assertion_invalid",
    },
    ...duplicates(path, { token: "x", token_type_hint: "refresh_token" }, "token_parameter_repeated", { auth: "web" }),
    ...duplicates(path, { token: "x", client_id: "web-app", client_secret: "wrong" }, "token_parameter_repeated").filter(
      (c) => !c.name.includes("token sent twice"),
    ),
  ];
}

const USERINFO_CASES: Case[] = [
  { name: "/userinfo: no token", path: "/userinfo", status: 401, code: "bearer_token_missing" },
  {
    name: "/userinfo: Bearer garbage",
    path: "/userinfo",
    headers: { authorization: "Bearer garbage" },
    status: 401,
    code: "access_token_invalid",
  },
  {
    name: "/userinfo: Bearer with nothing after it",
    path: "/userinfo",
    headers: { authorization: "Bearer " },
    status: 401,
    code: "bearer_token_missing",
  },
  {
    name: "/userinfo: Bearer of 10 KB",
    path: "/userinfo",
    headers: { authorization: `Bearer ${"x".repeat(10 * KB)}` },
    status: 401,
    code: "access_token_invalid",
  },
  {
    name: "/userinfo: Bearer a.b.c",
    path: "/userinfo",
    headers: { authorization: "Bearer a.b.c" },
    status: 401,
    code: "access_token_invalid",
  },
  {
    name: "/userinfo: Bearer random bytes",
    path: "/userinfo",
    headers: { authorization: `Bearer ${randomToken()}` },
    status: 401,
    code: "access_token_invalid",
  },
  {
    name: "/userinfo: alg none access token",
    path: "/userinfo",
    headers: { authorization: `Bearer ${algNoneJwt}` },
    status: 401,
    code: "access_token_invalid",
  },
  {
    name: "/userinfo: unsigned at+jwt with an unknown kid",
    path: "/userinfo",
    headers: { authorization: `Bearer ${unsignedJwt({ alg: "ES256", typ: "at+jwt", kid: "nope" })}` },
    status: 401,
    code: "token_signing_key_unknown",
  },
  {
    name: "/userinfo: a JWT that is not an access token (typ JWT)",
    path: "/userinfo",
    headers: { authorization: `Bearer ${unsignedJwt({ alg: "ES256", typ: "JWT" })}` },
    status: 401,
    code: "token_type_confusion",
  },
  {
    name: "/userinfo: Basic instead of Bearer",
    path: "/userinfo",
    headers: { authorization: `Basic ${b64("a:b")}` },
    status: 401,
    code: "bearer_token_missing",
  },
  {
    name: "/userinfo: POST with access_token garbage in the form",
    ...post("/userinfo", form({ access_token: "garbage" })),
    status: 401,
    code: "access_token_invalid",
  },
  {
    name: "/userinfo: POST with a JSON body",
    ...post("/userinfo", JSON.stringify({ access_token: "x" }), { headers: { "content-type": "application/json" } }),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "/userinfo: POST of 100 KB",
    ...post("/userinfo", form({ access_token: "a".repeat(100 * KB) })),
    status: 413,
    code: "body_too_large",
  },
  { name: "/userinfo: PUT", method: "PUT", path: "/userinfo", status: 405, code: "method_not_allowed", allow: "GET, POST" },
];

const AUTHORIZE_CASES: Case[] = [
  { name: "/authorize: no parameters", path: "/authorize", status: 400, code: "authorize_client_id_missing", html: true },
  {
    name: "/authorize: client_id as an array",
    path: "/authorize?client_id[]=cli-app",
    status: 400,
    code: "authorize_client_id_missing",
    html: true,
  },
  {
    name: "/authorize: invalid percent-encoding",
    path: "/authorize?client_id=%zz&redirect_uri=%&state=%E0%A4%A",
    status: 400,
    code: "authorize_client_unknown",
    html: true,
  },
  {
    name: "/authorize: NUL byte in client_id",
    path: "/authorize?client_id=cli-app%00",
    status: 400,
    code: "text_nul_character",
    html: true,
  },
  {
    name: "/authorize: invalid UTF-8 in client_id",
    path: "/authorize?client_id=%FF%FE",
    status: 400,
    code: "authorize_client_unknown",
    html: true,
  },
  {
    name: "/authorize: client_id of 8 KB",
    path: `/authorize?client_id=${"c".repeat(8 * KB)}`,
    status: 400,
    code: "authorize_parameter_invalid",
    html: true,
  },
  {
    name: "/authorize: redirect_uri of 8 KB",
    path: `/authorize?client_id=cli-app&redirect_uri=${encodeURIComponent(`http://127.0.0.1/${"p".repeat(8 * KB)}`)}`,
    status: 400,
    code: "redirect_uri_mismatch",
    html: true,
  },
  {
    name: "/authorize: JSON body",
    ...post("/authorize", JSON.stringify({ client_id: "cli-app" }), { headers: { "content-type": "application/json" } }),
    status: 415,
    code: "unsupported_media_type",
    html: true,
  },
  {
    name: "/authorize: POST of 100 KB",
    ...post("/authorize", form({ client_id: "cli-app", state: "s".repeat(100 * KB) })),
    status: 413,
    code: "body_too_large",
  },
  {
    name: "/authorize: raw invalid UTF-8 form body",
    ...post("/authorize", invalidUtf8("client_id=")),
    status: 400,
    code: "authorize_client_unknown",
    html: true,
  },
  { name: "/authorize: DELETE", method: "DELETE", path: "/authorize", status: 405, code: "method_not_allowed", allow: "GET, POST" },
];

const END_SESSION_CASES: Case[] = [
  {
    name: "/end_session: garbage id_token_hint",
    path: "/end_session?id_token_hint=garbage",
    status: 400,
    code: "id_token_hint_invalid",
    html: true,
  },
  {
    name: "/end_session: unsigned id_token_hint",
    path: `/end_session?id_token_hint=${unsignedJwt({ alg: "ES256", kid: "nope" })}`,
    status: 400,
    code: "id_token_hint_invalid",
    html: true,
  },
  {
    name: "/end_session: alg none id_token_hint",
    path: `/end_session?id_token_hint=${algNoneJwt}`,
    status: 400,
    code: "id_token_hint_invalid",
    html: true,
  },
  {
    name: "/end_session: id_token_hint of 10 KB",
    path: `/end_session?id_token_hint=${"h".repeat(10 * KB)}`,
    status: 400,
    code: "authorize_parameter_invalid",
    html: true,
  },
  {
    name: "/end_session: post_logout_redirect_uri without a client",
    path: `/end_session?post_logout_redirect_uri=${encodeURIComponent("https://attacker.example/")}`,
    status: 400,
    code: "post_logout_redirect_uri_without_client",
    html: true,
  },
  {
    name: "/end_session: unregistered post_logout_redirect_uri",
    path: `/end_session?client_id=web-app&post_logout_redirect_uri=${encodeURIComponent("https://attacker.example/")}`,
    status: 400,
    code: "post_logout_redirect_uri_unregistered",
    html: true,
  },
  {
    name: "/end_session: post_logout_redirect_uri of 8 KB",
    path: `/end_session?client_id=web-app&post_logout_redirect_uri=${"u".repeat(8 * KB)}`,
    status: 400,
    code: "authorize_parameter_invalid",
    html: true,
  },
  {
    name: "/end_session: state of 8 KB",
    path: `/end_session?state=${"s".repeat(8 * KB)}`,
    status: 400,
    code: "authorize_parameter_invalid",
    html: true,
  },
  {
    name: "/end_session: invalid percent-encoding and NUL",
    path: "/end_session?client_id=%zz%00&state=%",
    status: 400,
    code: "text_nul_character",
    html: true,
  },
  { name: "/end_session: invalid percent-encoding", path: "/end_session?client_id=%zz&state=%", status: 200, html: true },
  {
    name: "/end_session: JSON body",
    ...post("/end_session", JSON.stringify({ confirm: "yes" }), { headers: { "content-type": "application/json" } }),
    status: 415,
    code: "unsupported_media_type",
    html: true,
  },
  {
    name: "/end_session: POST of 100 KB",
    ...post("/end_session", form({ state: "s".repeat(100 * KB) })),
    status: 413,
    code: "body_too_large",
  },
  { name: "/end_session: PUT", method: "PUT", path: "/end_session", status: 405, code: "method_not_allowed", allow: "GET, POST" },
];

const INTERACTION_CASES: Case[] = [
  { name: "/interaction: unknown id", path: "/interaction/unknown", status: 400, code: "interaction_unknown", html: true },
  { name: "/interaction: id of 8 KB", path: `/interaction/${"i".repeat(8 * KB)}`, status: 400, code: "interaction_unknown", html: true },
  {
    name: "/interaction: invalid percent-encoding in the id",
    path: "/interaction/%zz%E0%A4%A",
    status: 400,
    code: "interaction_unknown",
    html: true,
  },
  { name: "/interaction: NUL in the id", path: "/interaction/abc%00def", status: 400, code: "text_nul_character", html: true },
  {
    name: "/interaction: sign-in POST for an unknown id",
    ...post("/interaction/unknown/login", form({ email: "a", password: "b" })),
    status: 400,
    code: "interaction_unknown",
    html: true,
  },
  {
    name: "/interaction: consent POST with JSON for an unknown id",
    ...post("/interaction/unknown/consent", "{}", { headers: { "content-type": "application/json" } }),
    status: 400,
    code: "interaction_unknown",
    html: true,
  },
  {
    name: "/interaction: two-factor POST of 100 KB",
    ...post("/interaction/unknown/two-factor", form({ code: "1".repeat(100 * KB) })),
    status: 413,
    code: "body_too_large",
  },
];

const METADATA_CASES: Case[] = [
  { name: "/.well-known/openid-configuration: junk query", path: "/.well-known/openid-configuration?x=%zz&y[]=1&z=%FF", status: 200 },
  {
    name: "/.well-known/openid-configuration: NUL in the query",
    path: "/.well-known/openid-configuration?%00=1",
    status: 400,
    code: "text_nul_character",
  },
  {
    name: "/.well-known/oauth-authorization-server: 8 KB query",
    path: `/.well-known/oauth-authorization-server?x=${"q".repeat(8 * KB)}`,
    status: 200,
  },
  { name: "/jwks.json: junk query", path: "/jwks.json?kid[]=%zz", status: 200 },
  { name: "/errors/: unknown code", path: "/errors/no_such_code", status: 404, code: "endpoint_not_found", html: true },
  { name: "/errors/: __proto__", path: "/errors/__proto__", status: 404, code: "endpoint_not_found", html: true },
  { name: "/errors/: constructor", path: "/errors/constructor", status: 404, code: "endpoint_not_found", html: true },
  { name: "/errors/: invalid percent-encoding", path: "/errors/%zz", status: 404, code: "endpoint_not_found", html: true },
  { name: "/errors/: code of 8 KB", path: `/errors/${"e".repeat(8 * KB)}`, status: 404, code: "endpoint_not_found", html: true },
  { name: "unknown path", path: "/no/such/endpoint", status: 404, code: "endpoint_not_found" },
  { name: "unknown path with invalid percent-encoding", path: "/%zz/%E0%A4%A", status: 404, code: "endpoint_not_found" },
];

const CASES: Case[] = [
  ...TOKEN_CASES,
  ...tokenManagementCases("/revoke", undefined),
  ...tokenManagementCases("/introspect", { active: false }),
  ...USERINFO_CASES,
  ...AUTHORIZE_CASES,
  ...END_SESSION_CASES,
  ...INTERACTION_CASES,
  ...METADATA_CASES,
];

beforeAll(async () => {
  ({ webSecret } = await seedFlowFixtures(t));
});

describe("malformed input on every public endpoint: < 500, no stack trace, exact catalog code, nothing stored", () => {
  it("covers every public endpoint", () => {
    const paths = new Set(CASES.map((c) => new URL(c.path, "http://x").pathname.split("/").slice(0, 2).join("/")));
    for (const path of [
      "/token",
      "/revoke",
      "/introspect",
      "/userinfo",
      "/authorize",
      "/end_session",
      "/interaction",
      "/.well-known",
      "/jwks.json",
      "/errors",
    ]) {
      expect(paths, path).toContain(path);
    }
  });

  for (const c of CASES) {
    it(c.name, async () => {
      await checkCase(t, c, webSecret);
    });
  }
});

describe("malformed input on the hosted sign-in form: only the expected login failures are recorded", () => {
  let browser: TestBrowser;
  let action = "";
  let csrf = "";

  beforeAll(async () => {
    browser = new TestBrowser(t.publicUrl);
    const page = await browser.navigate(
      authorizeUrl(t, {
        response_type: "code",
        client_id: "cli-app",
        redirect_uri: NATIVE_REDIRECT,
        scope: "openid notes:read",
        resource: RESOURCE,
        code_challenge: challenge,
        code_challenge_method: "S256",
        state: "s",
      }),
    );
    expect(page.title).toBe("Sign in");
    const loginForm = page.form("Sign in");
    action = new URL(loginForm.action, page.url).toString();
    csrf = loginForm.fields.csrf as string;
    expect(csrf).toBeTruthy();
  });

  const loginFailures = async () =>
    Number(
      (
        await t.ward.database.db
          .selectFrom("audit_events")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("type", "=", "login.failed")
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function attempt(body: Body, contentType: string, status: number, code: string, failures: number): Promise<void> {
    const before = await counts(t);
    const failedBefore = await loginFailures();
    // TestBrowser sends only forms it builds itself: this raw body goes with its cookies by hand.
    const cookie = cookieHeader();
    const raw = await fetch(action, { method: "POST", headers: { "content-type": contentType, cookie }, body, redirect: "manual" });
    const text = await raw.text();
    expect(raw.status, text.slice(0, 600)).toBe(status);
    expectNoStackTrace(text);
    // The sign-in page shows a failed sign-in as its message (not the code); other errors are error pages with the code.
    expect(text).toContain(code === "login_invalid_credentials" ? (findError(code)?.description as string) : code);
    expect(raw.headers.get("location")).toBeNull();
    expect((await loginFailures()) - failedBefore).toBe(failures);
    const after = await counts(t);
    expect(after).toEqual({ ...before, audit_events: (before.audit_events as number) + failures });
  }

  const cookieHeader = () =>
    ["ward_interaction", "ward_session"]
      .map((name) => [name, browser.cookie(name)] as const)
      .filter(([, value]) => value)
      .map(([name, value]) => `${name}=${value}`)
      .join("; ");

  it("an email with a NUL byte is refused before any sign-in attempt (text_nul_character)", async () => {
    await attempt(form({ csrf, email: "ada@example.com\u0000", password: "x" }), FORM, 400, "text_nul_character", 0);
  });

  it("an email of 10 KB is one login failure", async () => {
    await attempt(form({ csrf, email: "e".repeat(10 * KB), password: "x" }), FORM, 401, "login_invalid_credentials", 1);
  });

  it("email and password as arrays (email[]=) are one login failure", async () => {
    await attempt(`csrf=${encodeURIComponent(csrf)}&email[]=ada%40example.com&password[]=x`, FORM, 401, "login_invalid_credentials", 1);
  });

  it("invalid UTF-8 in the password is one login failure", async () => {
    await attempt(
      Buffer.concat([Buffer.from(`${form({ csrf, email: "ada@example.com" })}&password=`), Buffer.from([0xff, 0xfe])]),
      FORM,
      401,
      "login_invalid_credentials",
      1,
    );
  });

  it("a missing CSRF token is csrf_token_invalid and records no login failure", async () => {
    await attempt(form({ email: "ada@example.com", password: "x" }), FORM, 403, "csrf_token_invalid", 0);
  });

  it("a JSON body is unsupported_media_type and records no login failure", async () => {
    await attempt(JSON.stringify({ csrf, email: "ada@example.com", password: "x" }), "application/json", 415, "unsupported_media_type", 0);
  });

  it("a 100 KB password is body_too_large and records no login failure", async () => {
    await attempt(form({ csrf, email: "ada@example.com", password: "p".repeat(100 * KB) }), FORM, 413, "body_too_large", 0);
  });

  it("a GET on the sign-in POST endpoint changes nothing", async () => {
    const before = await counts(t);
    const response = await fetch(action, { redirect: "manual" });
    const text = await response.text();
    expect(response.status).toBeLessThan(500);
    expect([404, 405]).toContain(response.status);
    expectNoStackTrace(text);
    expect(await counts(t)).toEqual(before);
  });
});
