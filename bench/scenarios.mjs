// The scenarios: the same request for every contender, and a check of what comes back. Every
// non-2xx answer is an error; every 50th 2xx body (and the first) is decoded and its claims
// checked, so a server answering fast with the wrong thing fails the scenario loudly.
import { basicAuthorization, CLIENT_ID, REDIRECT_URI, RESOURCE, RESOURCE_SCOPE } from "./lib/fixtures.mjs";

const SAMPLE_EVERY = 50;
const FORM = "application/x-www-form-urlencoded";

function decodeJwt(token, label) {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) throw new Error(`${label} is not a JWS: ${JSON.stringify(token)?.slice(0, 80)}`);
  const [header, payload] = parts.slice(0, 2).map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")));
  return { header, payload };
}

function expectClaims(actual, expected, label) {
  for (const [claim, value] of Object.entries(expected)) {
    const got = actual[claim];
    const ok = typeof value === "function" ? value(got) : Array.isArray(got) ? got.includes(value) : got === value;
    if (!ok)
      throw new Error(
        `${label} ${claim} is ${JSON.stringify(got)}, expected ${typeof value === "function" ? value.name : JSON.stringify(value)}`,
      );
  }
}

const nonEmptyString = (v) => typeof v === "string" && v.length > 0;
const integer = (v) => Number.isInteger(v);
const includesResourceScope = (v) => typeof v === "string" && v.split(" ").includes(RESOURCE_SCOPE);

/** An RFC 9068 access token for RESOURCE, ES256, from `issuer`, as `subject` (a predicate or a value). */
function checkAccessToken(token, issuer, subject) {
  const { header, payload } = decodeJwt(token, "access_token");
  expectClaims(
    header,
    { alg: "ES256", typ: (t) => typeof t === "string" && t.toLowerCase() === "at+jwt", kid: nonEmptyString },
    "access_token header",
  );
  expectClaims(
    payload,
    {
      iss: issuer,
      aud: RESOURCE,
      sub: subject,
      client_id: CLIENT_ID,
      scope: includesResourceScope,
      jti: nonEmptyString,
      iat: integer,
      exp: integer,
    },
    "access_token",
  );
}

function checkTokenResponse(body, issuer, { user }) {
  const json = JSON.parse(body);
  expectClaims(json, { token_type: (t) => typeof t === "string" && t.toLowerCase() === "bearer" }, "response");
  checkAccessToken(json.access_token, issuer, user ? nonEmptyString : CLIENT_ID);
  if (user) {
    if (!nonEmptyString(json.refresh_token)) throw new Error("response has no refresh_token");
    const { header, payload } = decodeJwt(json.id_token, "id_token");
    expectClaims(header, { alg: "ES256" }, "id_token header");
    expectClaims(payload, { iss: issuer, aud: CLIENT_ID, sub: nonEmptyString }, "id_token");
  }
  return json;
}

/** Counts, samples and remembers the first problems; `verdict()` says whether the run is clean. */
function tally(check) {
  let responses = 0;
  const failures = [];
  const fail = (message) => {
    if (failures.length < 3) failures.push(message);
    else failures.push(null);
  };
  return {
    failures,
    record(status, body) {
      responses++;
      if (status < 200 || status > 299) return fail(`HTTP ${status}: ${body.slice(0, 300)}`);
      if (responses === 1 || responses % SAMPLE_EVERY === 0) {
        try {
          check(body);
        } catch (error) {
          fail(error.message);
        }
      }
    },
    verdict() {
      const shown = failures.filter(Boolean);
      return failures.length ? `${failures.length} bad response(s), first: ${shown.join(" | ")}` : undefined;
    },
  };
}

const form = (params) => new URLSearchParams(params).toString();
const headersFor = (contender) => ({ authorization: basicAuthorization(CLIENT_ID, contender.secret), "content-type": FORM });

export function clientCredentials(contender) {
  const t = tally((body) => checkTokenResponse(body, contender.url, { user: false }));
  const body = form({ grant_type: "client_credentials", scope: RESOURCE_SCOPE, resource: RESOURCE });
  return {
    path: "/token",
    headers: headersFor(contender),
    body: () => body,
    onResponse: (_slot, status, text) => t.record(status, text),
    tally: t,
  };
}

/** Each request redeems the next of `codes` ([{ code, verifier }]); running out counts as a failure. */
export function authorizationCode(contender, codes) {
  const t = tally((body) => checkTokenResponse(body, contender.url, { user: true }));
  let next = 0;
  return {
    path: "/token",
    headers: headersFor(contender),
    body: () => {
      const { code, verifier } = codes[next++] ?? { code: "ran-out-of-codes", verifier: "x".repeat(43) };
      return form({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
    },
    onResponse: (_slot, status, text) => t.record(status, text),
    tally: t,
    remaining: () => codes.length - next,
  };
}

/** Refresh rotation: `chains[slot]` is the connection's current refresh token; each answer's new one replaces it. */
export function refreshToken(contender, chains) {
  const t = tally((body) => checkTokenResponse(body, contender.url, { user: true }));
  return {
    path: "/token",
    headers: headersFor(contender),
    body: (slot) => form({ grant_type: "refresh_token", refresh_token: chains[slot % chains.length] }),
    onResponse: (slot, status, text) => {
      t.record(status, text);
      if (status === 200) chains[slot % chains.length] = JSON.parse(text).refresh_token;
    },
    tally: t,
  };
}

/** Introspects one client_credentials access token of the same client, which must come back active. */
export function introspection(contender, accessToken) {
  const t = tally((body) => {
    const json = JSON.parse(body);
    expectClaims(json, { active: true, client_id: CLIENT_ID, aud: RESOURCE, iss: contender.url, exp: integer }, "introspection");
  });
  const body = form({ token: accessToken });
  return {
    path: "/introspect",
    headers: headersFor(contender),
    body: () => body,
    onResponse: (_slot, status, text) => t.record(status, text),
    tally: t,
  };
}

/** One untimed token request (fixtures for the timed runs: a refresh chain's start, a token to introspect). */
export async function tokenRequest(contender, params) {
  const response = await fetch(`${contender.url}/token`, { method: "POST", headers: headersFor(contender), body: form(params) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${contender.name} /token ${params.grant_type}: ${response.status} ${text}`);
  return JSON.parse(text);
}
