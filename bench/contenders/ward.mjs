// Ward through its production path: `ward server --config ward.yaml` (the secure defaults plus
// grants.client_credentials: true), on SQLite (a fresh file) or PostgreSQL (a fresh database,
// dropped afterwards). Fixtures go in through the admin API. Codes: one through /authorize after a
// real sign-in on the hosted pages (first-party client: skip_consent), then as many copies of it as
// a run needs (fresh code and PKCE challenge each) through Ward's own store function, untimed.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { hashSecret } from "../../packages/server/dist/crypto/tokens.js";
import { getAuthorizationCode, insertAuthorizationCode } from "../../packages/server/dist/store/codes.js";
import { openDatabase } from "../../packages/server/dist/store/database.js";
import { DEFAULT_TENANT } from "../../packages/server/dist/store/schema.js";
import { Browser } from "../lib/browser.mjs";
import { CLIENT_ID, REDIRECT_URI, RESOURCE, RESOURCE_SCOPE, USER, USER_SCOPE } from "../lib/fixtures.mjs";
import { freePort, startChild, stopChild } from "../lib/process.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WARD_BIN = join(ROOT, "packages/cli/dist/bin/ward.js");
/** Parallel transactions inserting codes (PostgreSQL pool size; SQLite runs them one after another). */
const MINT_WORKERS = 8;
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A fresh PostgreSQL database for one run; `drop()` removes it. */
async function freshPostgresDatabase() {
  const name = `ward_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

function writeConfig(dir, { port, adminPort, adminKey, databaseUrl, level }) {
  const file = join(dir, "ward.yaml");
  writeFileSync(
    file,
    [
      "server:",
      `  issuer: http://127.0.0.1:${port}`,
      `  port: ${port}`,
      "admin:",
      `  port: ${adminPort}`,
      `  api_key: ${adminKey}`,
      "database:",
      `  url: ${databaseUrl}`,
      "session:",
      `  secret: ${randomBytes(32).toString("hex")}`,
      "secrets:",
      `  master_key: ${randomBytes(32).toString("hex")}`,
      "grants:",
      "  client_credentials: true",
      "logging:",
      `  level: ${level}`,
      "",
    ].join("\n"),
  );
  return file;
}

const LISTENING = (line) => (line.includes("ward server listening") ? true : undefined);

/** Starts `ward server`; ready when it logs "ward server listening" (level info) or, below info, when /ready answers 200. */
function startWardServer(name, configFile, port, level) {
  // BENCH_WARD_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/ward-prof" (not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_WARD_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const args = [...nodeArgs, WARD_BIN, "server", "--config", configFile];
  if (level === "info") return startChild(name, args, { cwd: ROOT, ready: LISTENING });
  const probe = () => fetch(`http://127.0.0.1:${port}/ready`).then((r) => (r.ok ? true : undefined));
  return startChild(name, args, { cwd: ROOT, probe });
}

async function admin(t, path, body) {
  const response = await fetch(`${t.adminUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status !== 201) throw new Error(`ward admin ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** The benchmark's user, resource and confidential client (every grant the scenarios use); returns its secret. */
async function seed(t) {
  await admin(t, "/admin/v1/users", USER);
  await admin(t, "/admin/v1/resources", { uri: RESOURCE, scopes: [{ name: RESOURCE_SCOPE, description: "Read notes" }] });
  const client = await admin(t, "/admin/v1/clients", {
    client_id: CLIENT_ID,
    client_name: "Bench app",
    redirect_uris: [REDIRECT_URI],
    grant_types: ["authorization_code", "refresh_token", "client_credentials"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    scope: USER_SCOPE,
    skip_consent: true,
  });
  return client.client_secret;
}

function authorizeUrl(t, challenge) {
  const url = new URL("/authorize", t.url);
  const params = { client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: "code", scope: USER_SCOPE, resource: RESOURCE };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url;
}

const pkcePair = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};

function codeFrom(location) {
  const code = location?.searchParams.get("code");
  if (!code) throw new Error(`ward /authorize did not redirect with a code: ${location}`);
  return code;
}

/**
 * Starts Ward on `database` ("sqlite" | "postgres"). Returns { url, secret, pid, mintCodes(n), stop() }.
 * mintCodes: see below.
 */
export async function startWard(database, { level = process.env.BENCH_WARD_LOG_LEVEL ?? "warn" } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "ward-bench-"));
  const postgres = database === "postgres" ? await freshPostgresDatabase() : undefined;
  const [port, adminPort] = [await freePort(), await freePort()];
  const adminKey = randomBytes(32).toString("hex");
  const configFile = writeConfig(dir, {
    port,
    adminPort,
    adminKey,
    databaseUrl: postgres ? postgres.url : `sqlite:${join(dir, "ward.db")}`,
    level,
  });
  let db;
  const cleanup = async () => {
    await db?.close();
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  let started;
  try {
    started = await startWardServer(`ward (${database})`, configFile, port, level);
  } catch (error) {
    await cleanup();
    throw error;
  }
  const t = { url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, adminKey };
  const secret = await seed(t);
  const browser = new Browser(t.url);
  db = await openDatabase(postgres ? postgres.url : `sqlite:${join(dir, "ward.db")}`, { poolMax: MINT_WORKERS });

  /** One code through /authorize (after a real sign-in), cloned `count` times by Ward's own store function. */
  async function mintCodes(count) {
    const first = pkcePair();
    let page = await browser.navigate(authorizeUrl(t, first.challenge));
    if (page.html) page = await browser.submit(page, "Sign in", { email: USER.email, password: USER.password });
    const model = await getAuthorizationCode(db.db, DEFAULT_TENANT, hashSecret(codeFrom(page.location)));
    if (!model) throw new Error("ward: the code /authorize returned is not in its database");
    const codes = Array.from({ length: count }, () => ({ code: randomBytes(32).toString("base64url"), ...pkcePair() }));
    const chunk = Math.ceil(count / MINT_WORKERS);
    const insertChunk = (part) =>
      db.db.transaction().execute(async (trx) => {
        for (const { code, challenge } of part) {
          const copy = { ...model, code_hash: hashSecret(code), code_challenge: challenge, created_at: Date.now() };
          await insertAuthorizationCode(trx, DEFAULT_TENANT, copy);
        }
      });
    await Promise.all(Array.from({ length: MINT_WORKERS }, (_, i) => insertChunk(codes.slice(i * chunk, (i + 1) * chunk))));
    return codes.map(({ code, verifier }) => ({ code, verifier }));
  }

  return {
    url: t.url,
    secret,
    pid: started.child.pid,
    readyMs: started.readyMs,
    mintCodes,
    child: started.child,
    cleanup,
  };
}

/**
 * `ward server` time-to-ready, from spawn to its "ward server listening" log line, on a fresh
 * SQLite file (first boot: migrations and signing-key generation) and again on the same file.
 */
export async function measureTimeToReady() {
  const dir = mkdtempSync(join(tmpdir(), "ward-bench-boot-"));
  try {
    const port = await freePort();
    const config = { port, adminPort: await freePort(), adminKey: randomBytes(32).toString("hex"), level: "info" };
    const configFile = writeConfig(dir, { ...config, databaseUrl: `sqlite:${join(dir, "ward.db")}` });
    const times = {};
    for (const boot of ["first_boot_ms", "restart_ms"]) {
      const { child, readyMs } = await startWardServer("ward (boot)", configFile, port, "info");
      times[boot] = Math.round(readyMs);
      await stopChild(child);
    }
    return times;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
