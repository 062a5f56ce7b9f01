// The practical limit: node:http + jose, nothing else. It authenticates the client the way Ward
// does (SHA-256 of the presented secret, compared in constant time with the stored hash) and
// signs the same RFC 9068 access token (ES256, typ at+jwt, same claims). Nothing is stored.
// For the user grants (authorization_code, refresh_token) it also signs an ID token and answers a
// fresh random refresh token: the signing and HTTP every server pays, with no storage and no
// check of the code, its PKCE verifier or the refresh token (there is nothing to check them
// against): a ceiling for these grants, not a peer.
// Prints one JSON line {"port":…} on stdout when listening. Env: BENCH_SECRET, BENCH_PORT.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { generateKeyPair, jwtVerify, SignJWT } from "jose";
import { CLIENT_ID, RESOURCE, RESOURCE_SCOPE, USER_SCOPE } from "../lib/fixtures.mjs";

const port = Number(process.env.BENCH_PORT ?? 0);
const issuer = `http://127.0.0.1:${port}`;
const sha256 = (text) => createHash("sha256").update(text, "utf8").digest();
const storedHash = `sha256:${sha256(process.env.BENCH_SECRET ?? "").toString("base64url")}`;
const { privateKey, publicKey } = await generateKeyPair("ES256");
const kid = randomBytes(8).toString("base64url");

function authenticated(header) {
  if (!header?.startsWith("Basic ")) return false;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0 || decodeURIComponent(decoded.slice(0, colon)) !== CLIENT_ID) return false;
  const presented = `sha256:${sha256(decodeURIComponent(decoded.slice(colon + 1))).toString("base64url")}`;
  return timingSafeEqual(sha256(presented), sha256(storedHash));
}

/** The user of the user grants: no users exist here, so the same subject every time. */
const USER_ID = "usr_bench_limit";
/** What the limit's user grants require of a request, as a real server would refuse it without them. */
const USER_GRANT_PARAMETERS = { authorization_code: ["code", "code_verifier", "redirect_uri"], refresh_token: ["refresh_token"] };

/** The RFC 9068 access token; `auth_time` on the user grants' tokens, as Ward's carry it. */
const signAccessToken = (subject, scope, iat, authTime) =>
  new SignJWT({ client_id: CLIENT_ID, scope, ...(authTime ? { auth_time: authTime } : {}) })
    .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
    .setIssuer(issuer)
    .setSubject(subject)
    .setAudience(RESOURCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .setJti(`at_${randomBytes(16).toString("base64url")}`)
    .sign(privateKey);

/** An ID token with the claims Ward's carries for a password sign-in (auth_time, amr, sid). */
const signIdToken = (iat) =>
  new SignJWT({ auth_time: iat, amr: ["pwd"], sid: `ses_${randomBytes(16).toString("base64url")}` })
    .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
    .setIssuer(issuer)
    .setSubject(USER_ID)
    .setAudience(CLIENT_ID)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(privateKey);

async function token(params) {
  const grant = params.get("grant_type");
  const iat = Math.floor(Date.now() / 1000);
  if (grant === "client_credentials") {
    if (params.get("scope") !== RESOURCE_SCOPE) return [400, { error: "invalid_scope" }];
    if (params.get("resource") !== RESOURCE) return [400, { error: "invalid_target" }];
    const access = await signAccessToken(CLIENT_ID, RESOURCE_SCOPE, iat);
    return [200, { access_token: access, token_type: "Bearer", expires_in: 3600, scope: RESOURCE_SCOPE }];
  }
  if (!Object.hasOwn(USER_GRANT_PARAMETERS, grant ?? "")) return [400, { error: "unsupported_grant_type" }];
  const required = USER_GRANT_PARAMETERS[grant];
  if (required.some((name) => !params.get(name))) return [400, { error: "invalid_request" }];
  const [access, id] = await Promise.all([signAccessToken(USER_ID, USER_SCOPE, iat, iat), signIdToken(iat)]);
  return [
    200,
    {
      access_token: access,
      token_type: "Bearer",
      expires_in: 3600,
      scope: USER_SCOPE,
      refresh_token: `rt_${randomBytes(32).toString("base64url")}`,
      id_token: id,
    },
  ];
}

async function introspect(params) {
  try {
    const { payload } = await jwtVerify(params.get("token") ?? "", publicKey, { issuer, typ: "at+jwt", algorithms: ["ES256"] });
    return [200, payload.client_id === CLIENT_ID ? { active: true, token_type: "Bearer", ...payload } : { active: false }];
  } catch {
    return [200, { active: false }];
  }
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" || (req.url !== "/token" && req.url !== "/introspect")) return send(404, { error: "not_found" });
    if (!authenticated(req.headers.authorization)) return send(401, { error: "invalid_client" });
    const params = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    send(...(await (req.url === "/token" ? token(params) : introspect(params))));
  });
});
server.listen(port, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
