// The practical limit: node:http + jose, nothing else. It authenticates the client the way Ward
// does (SHA-256 of the presented secret, compared in constant time with the stored hash) and
// signs the same RFC 9068 access token (ES256, typ at+jwt, same claims). Nothing is stored.
// Prints one JSON line {"port":…} on stdout when listening. Env: BENCH_SECRET, BENCH_PORT.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { generateKeyPair, jwtVerify, SignJWT } from "jose";
import { CLIENT_ID, RESOURCE, RESOURCE_SCOPE } from "../lib/fixtures.mjs";

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

async function token(params) {
  if (params.get("grant_type") !== "client_credentials") return [400, { error: "unsupported_grant_type" }];
  if (params.get("scope") !== RESOURCE_SCOPE) return [400, { error: "invalid_scope" }];
  if (params.get("resource") !== RESOURCE) return [400, { error: "invalid_target" }];
  const iat = Math.floor(Date.now() / 1000);
  const access = await new SignJWT({ client_id: CLIENT_ID, scope: RESOURCE_SCOPE })
    .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
    .setIssuer(issuer)
    .setSubject(CLIENT_ID)
    .setAudience(RESOURCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .setJti(`at_${randomBytes(16).toString("base64url")}`)
    .sign(privateKey);
  return [200, { access_token: access, token_type: "Bearer", expires_in: 3600, scope: RESOURCE_SCOPE }];
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
