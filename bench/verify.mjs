// The SDK's verify() against bare jose.jwtVerify on the same token set, in one process, alternating
// rounds (median reported). Part of `npm run bench` (bench/run.mjs), which prints and saves it.
import { createServer } from "node:http";
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { createVerifier } from "../packages/sdk/dist/index.js";

const TOKENS = 200;
const ROUNDS = 7;
const PER_ROUND = 10_000;
const RESOURCE = "https://api.example.test/notes";

/** Runs both verifiers; resolves to { method, results: [{ scenario, contender, ops_per_s }], ratio }. */
export async function measureVerify() {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  let issuer = "";
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=3600" });
    res.end(JSON.stringify(req.url?.startsWith("/.well-known") ? { issuer, jwks_uri: `${issuer}/jwks.json` } : { keys: [jwk] }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${server.address().port}`;

  const now = Math.floor(Date.now() / 1000);
  const tokens = await Promise.all(
    Array.from({ length: TOKENS }, (_, i) =>
      new SignJWT({ client_id: "agent", scope: "notes:read", sub: `usr_${i}`, jti: `at_${i}` })
        .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
        .setIssuer(issuer)
        .setAudience(RESOURCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey),
    ),
  );

  const sdk = createVerifier({ issuer, resource: RESOURCE, allowInsecureLoopback: true });
  const keySet = createLocalJWKSet({ keys: [jwk] });
  const contenders = {
    "bare jose.jwtVerify": (token) => jwtVerify(token, keySet, { issuer, audience: RESOURCE, typ: "at+jwt", algorithms: ["ES256"] }),
    "@ward/sdk verify": (token) => sdk.verify(token),
  };

  async function round(verify) {
    const started = performance.now();
    for (let i = 0; i < PER_ROUND; i++) await verify(tokens[i % TOKENS]);
    return PER_ROUND / ((performance.now() - started) / 1000);
  }

  for (const verify of Object.values(contenders)) for (let i = 0; i < 2000; i++) await verify(tokens[i % TOKENS]);
  const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [name, verify] of Object.entries(contenders)) samples[name].push(await round(verify));
  server.close();

  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const results = Object.entries(samples).map(([contender, values]) => ({
    scenario: "verify",
    contender,
    ops_per_s: Math.round(median(values)),
    rss_mb: null, // in-process: the orchestrator's RSS would say nothing about either verifier
  }));
  const ratio = results[1].ops_per_s / results[0].ops_per_s;
  return {
    method: `${TOKENS} distinct ES256 tokens, ${ROUNDS} alternating rounds of ${PER_ROUND} sequential verifies per contender, median`,
    results,
    ratio: Number(ratio.toFixed(3)),
  };
}
