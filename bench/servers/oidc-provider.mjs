// oidc-provider (npm, current major) configured to issue the same tokens as Ward: RFC 9068 JWT
// access tokens (ES256, typ at+jwt) for RESOURCE through resource indicators, ID tokens in ES256,
// refresh tokens rotated on every use, PKCE required. Codes are minted, untimed, through its own
// models (Grant + AuthorizationCode, the objects its interaction API saves) on a second, private port.
//
// Storage, by BENCH_OIDC_STORE:
// - "memory" (default): its own in-memory MemoryAdapter, with one change: that adapter's store is
//   an LRU of 1000 entries, which under load evicts live codes and grants (invalid_grant); here it
//   holds 5 million. Nothing is persisted.
// - "sqlite:<path>": SqliteAdapter below, a minimal adapter of the kind a deployment writes
//   (oidc-provider ships none for production): one table keyed by (model, id) with the payload as
//   JSON, on better-sqlite3 with the pragmas Ward uses (WAL, synchronous=NORMAL), each adapter call
//   one statement, as oidc-provider issues them.
// Prints one JSON line {"port":…,"mintPort":…} on stdout. Env: BENCH_SECRET, BENCH_PORT, BENCH_OIDC_STORE.
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import SQLite from "better-sqlite3";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import MemoryAdapter from "oidc-provider/lib/adapters/memory_adapter.js";
import LRU from "oidc-provider/lib/helpers/lru.js";
import { CLIENT_ID, REDIRECT_URI, RESOURCE, RESOURCE_SCOPE, USER_SCOPE } from "../lib/fixtures.mjs";

const port = Number(process.env.BENCH_PORT ?? 0);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = await generateKeyPair("ES256", { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString("base64url"), alg: "ES256", use: "sig" };
const ACCOUNT = "usr_bench";
const STORE = process.env.BENCH_OIDC_STORE ?? "memory";

function memoryAdapter() {
  const store = new LRU({ maxSize: 5_000_000 });
  return class BenchMemoryAdapter extends MemoryAdapter {
    constructor(model) {
      super(model, store);
    }
  };
}

function sqliteAdapter(path) {
  const db = new SQLite(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`create table if not exists oidc_models (
    model text not null, id text not null, payload text not null,
    grant_id text, user_code text, uid text, expires_at integer, consumed_at integer,
    primary key (model, id));
  create index if not exists oidc_models_grant on oidc_models (grant_id);
  create index if not exists oidc_models_user_code on oidc_models (model, user_code);
  create index if not exists oidc_models_uid on oidc_models (model, uid);`);
  const upsert = db.prepare(`insert into oidc_models (model, id, payload, grant_id, user_code, uid, expires_at) values (?, ?, ?, ?, ?, ?, ?)
    on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code,
    uid = excluded.uid, expires_at = excluded.expires_at`);
  const byId = db.prepare("select payload, expires_at, consumed_at from oidc_models where model = ? and id = ?");
  const byUserCode = db.prepare("select payload, expires_at, consumed_at from oidc_models where model = ? and user_code = ?");
  const byUid = db.prepare("select payload, expires_at, consumed_at from oidc_models where model = ? and uid = ?");
  const consume = db.prepare("update oidc_models set consumed_at = ? where model = ? and id = ?");
  const destroy = db.prepare("delete from oidc_models where model = ? and id = ?");
  const revokeGrant = db.prepare("delete from oidc_models where grant_id = ?");
  const live = (row) => {
    if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
    const payload = JSON.parse(row.payload);
    return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
  };
  return class SqliteAdapter {
    constructor(model) {
      this.model = model;
    }
    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
      upsert.run(
        this.model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        expiresAt,
      );
    }
    async find(id) {
      return live(byId.get(this.model, id));
    }
    async findByUserCode(userCode) {
      return live(byUserCode.get(this.model, userCode));
    }
    async findByUid(uid) {
      return live(byUid.get(this.model, uid));
    }
    async consume(id) {
      consume.run(Date.now(), this.model, id);
    }
    async destroy(id) {
      destroy.run(this.model, id);
    }
    async revokeByGrantId(grantId) {
      revokeGrant.run(grantId);
    }
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: process.env.BENCH_SECRET,
      redirect_uris: [REDIRECT_URI],
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "ES256",
      scope: USER_SCOPE,
    },
  ],
  adapter: STORE === "memory" ? memoryAdapter() : sqliteAdapter(STORE.slice("sqlite:".length)),
  jwks: { keys: [signingKey] },
  scopes: USER_SCOPE.split(" "),
  routes: { introspection: "/introspect" },
  // Ward's lifetimes: codes 10 minutes (oidc-provider's default is 1 minute), access tokens 1 hour.
  ttl: { AuthorizationCode: 600, AccessToken: 3600, ClientCredentials: 3600 },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  pkce: { required: () => true },
  rotateRefreshToken: true,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== RESOURCE) throw new Provider.errors.InvalidTarget();
        return {
          scope: RESOURCE_SCOPE,
          audience: RESOURCE,
          accessTokenTTL: 3600,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "ES256" } },
        };
      },
    },
  },
});

/**
 * Saves `count` authorization codes for CLIENT_ID, each with its own grant (as each authorization
 * has: reuse detection revokes a whole grant) and its own PKCE pair.
 */
async function mintCodes(count) {
  const client = await provider.Client.find(CLIENT_ID);
  const codes = [];
  for (let i = 0; i < count; i++) {
    const grant = new provider.Grant({ accountId: ACCOUNT, clientId: CLIENT_ID });
    grant.addOIDCScope("openid offline_access");
    grant.addResourceScope(RESOURCE, RESOURCE_SCOPE);
    const grantId = await grant.save();
    const verifier = randomBytes(32).toString("base64url");
    const code = new provider.AuthorizationCode({
      client,
      grantId,
      accountId: ACCOUNT,
      authTime: Math.floor(Date.now() / 1000),
      redirectUri: REDIRECT_URI,
      scope: USER_SCOPE,
      resource: RESOURCE,
      codeChallenge: createHash("sha256").update(verifier).digest("base64url"),
      codeChallengeMethod: "S256",
    });
    codes.push({ code: await code.save(), verifier });
  }
  return codes;
}

const server = createServer(provider.callback());
const mint = createServer(async (req, res) => {
  const count = Number(new URL(req.url, "http://x").searchParams.get("count"));
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(await mintCodes(count)));
});
server.listen(port, "127.0.0.1", () =>
  mint.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port, mintPort: mint.address().port }))),
);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
