import { createHash, randomBytes } from "node:crypto";
import { DEV_DEMO_CLIENT_ID, freeLoopbackPort, loadConfig, type Ward } from "@ward/server";
import type { Command } from "commander";
import { DataDir, DEFAULT_DATA_DIR, type DevCredentials } from "../dev/data-dir.js";
import { EXIT, err, out, printJson } from "../output.js";
import { startWard } from "./run-server.js";

const DEMO_CLIENT_ID = DEV_DEMO_CLIENT_ID;
const DEMO_REDIRECT_URI = "http://127.0.0.1/callback";
/** The built-in dev callback page; a loopback IP redirect of a native client, so any port matches (RFC 8252). */
const DEMO_DEV_CALLBACK = "http://127.0.0.1/dev/callback";
const DEMO_REDIRECT_URIS = [DEMO_REDIRECT_URI, DEMO_DEV_CALLBACK];
const DEMO_EMAIL = "demo@example.com";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    err(`✗ port must be an integer from 0 to 65535; received ${JSON.stringify(value)}`);
    process.exit(EXIT.usage);
  }
  return port;
}

async function adminCall(ward: Ward, method: string, path: string, body?: unknown): Promise<Response> {
  if (!ward.adminApp) throw new Error("admin API disabled");
  return ward.adminApp.request(path, {
    method,
    headers: { authorization: `Bearer ${ward.config.admin.api_key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Settings `ward dev` always takes from its data dir, never from the environment: a shell with
 * production WARD_* variables must not get demo users seeded into the production database.
 */
const DEV_OWNED_ENV = [
  "WARD_SERVER_ISSUER",
  "WARD_SERVER_PORT",
  "WARD_SERVER_HOST",
  "WARD_ADMIN_HOST",
  "WARD_ADMIN_PORT",
  "WARD_ADMIN_API_KEY",
  "WARD_SECRETS_MASTER_KEY",
  "WARD_DATABASE_URL",
];

/** Data dirs seeded before the dev callback page existed get its redirect URI added to the demo client. */
async function updateDemoClient(ward: Ward): Promise<void> {
  const response = await adminCall(ward, "GET", `/admin/v1/clients/${DEMO_CLIENT_ID}`);
  if (response.status !== 200) return;
  const client = (await response.json()) as { redirect_uris: string[] };
  if (client.redirect_uris.includes(DEMO_DEV_CALLBACK)) return;
  await adminCall(ward, "PATCH", `/admin/v1/clients/${DEMO_CLIENT_ID}`, { redirect_uris: [...client.redirect_uris, DEMO_DEV_CALLBACK] });
}

/** Seeds the demo user and public client once (again if the database lost them), through the admin API's own validation. */
async function seedDemo(ward: Ward, dataDir: DataDir): Promise<DevCredentials> {
  const known = dataDir.readCredentials();
  if (known && (await adminCall(ward, "GET", `/admin/v1/users/${encodeURIComponent(known.demo_user.email)}`)).status === 200) {
    await updateDemoClient(ward);
    return known;
  }
  const credentials: DevCredentials = {
    demo_user: { email: DEMO_EMAIL, password: randomBytes(9).toString("base64url") },
    demo_client_id: DEMO_CLIENT_ID,
  };
  const user = await adminCall(ward, "POST", "/admin/v1/users", { ...credentials.demo_user, name: "Demo User" });
  if (user.status !== 201 && user.status !== 409) throw new Error(`seeding the demo user failed: ${await user.text()}`);
  if (user.status === 409) {
    await adminCall(ward, "PATCH", `/admin/v1/users/${encodeURIComponent(DEMO_EMAIL)}`, { password: credentials.demo_user.password });
  }
  const client = await adminCall(ward, "POST", "/admin/v1/clients", {
    client_id: DEMO_CLIENT_ID,
    client_name: "Ward demo (public, PKCE)",
    redirect_uris: DEMO_REDIRECT_URIS,
    grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
    token_endpoint_auth_method: "none",
    application_type: "native",
    scope: "openid profile email offline_access",
  });
  if (client.status !== 201 && client.status !== 409) throw new Error(`seeding the demo client failed: ${await client.text()}`);
  if (client.status === 409) await updateDemoClient(ward);
  dataDir.writeCredentials(credentials);
  return credentials;
}

function demoAuthorizeUrl(issuer: string): { url: string; codeVerifier: string } {
  const codeVerifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(codeVerifier).digest("base64url");
  const params = new URLSearchParams({
    response_type: "code",
    client_id: DEMO_CLIENT_ID,
    redirect_uri: DEMO_REDIRECT_URI,
    scope: "openid profile email",
    state: randomBytes(12).toString("base64url"),
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return { url: `${issuer}/authorize?${params}`, codeVerifier };
}

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("Zero-config development server on embedded SQLite (keys and secrets kept in the data dir)")
    .option("-p, --port <port>", "public port (issuer http://127.0.0.1:<port>)", parsePort, 9000)
    .option("--admin-port <port>", "admin API port", parsePort, 9001)
    .option("--data-dir <dir>", "where the database, master key and admin key live", DEFAULT_DATA_DIR)
    .option("-c, --config <file>", "optional YAML file layered over the dev defaults")
    .action(async (options: { port: number; adminPort: number; dataDir: string; config?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as { json?: boolean; quiet?: boolean };
      const dataDir = new DataDir(options.dataDir);
      dataDir.ensure();
      const port = options.port === 0 ? await freeLoopbackPort() : options.port;
      const adminPort = options.adminPort === 0 ? await freeLoopbackPort() : options.adminPort;
      const issuer = `http://127.0.0.1:${port}`;
      for (const name of DEV_OWNED_ENV) {
        if (process.env[name])
          err(`ward dev: ignoring ${name}; the dev server keeps its own in ${dataDir.path} (use \`ward server\` for that setting)`);
      }
      const loaded = loadConfig({
        file: options.config,
        defaults: {
          keys: { publish_ahead: 0 },
          dev: { callback: true },
          grants: { client_credentials: true, device_code: true, token_exchange: true, jwt_bearer: true },
          registration: { policy: "open", client_id_metadata_documents: true },
          dpop: { require_nonce: true },
          // MCP clients rarely ask for offline_access; without this they would sign in again every hour.
          tokens: { refresh_without_offline_access: true },
        },
        overrides: {
          server: { issuer, port, host: "127.0.0.1" },
          admin: { port: adminPort, host: "127.0.0.1", api_key: dataDir.adminKey() },
          secrets: { master_key: dataDir.masterKey() },
          database: { url: `sqlite:${dataDir.file("ward.db")}` },
        },
      });
      await startWard(loaded, async (ward, started) => {
        const credentials = await seedDemo(ward, dataDir);
        const { url, codeVerifier } = demoAuthorizeUrl(ward.config.server.issuer);
        const summary = {
          issuer: ward.config.server.issuer,
          discovery: `${ward.config.server.issuer}/.well-known/openid-configuration`,
          jwks_uri: `${ward.config.server.issuer}/jwks.json`,
          admin_url: started.adminUrl,
          admin_api_key: ward.config.admin.api_key,
          data_dir: dataDir.path,
          database: ward.database.target,
          demo_user: credentials.demo_user,
          demo_client: { client_id: credentials.demo_client_id, redirect_uri: DEMO_REDIRECT_URI, token_endpoint_auth_method: "none" },
          try_in_browser: `${ward.config.server.issuer}/dev/start`,
          account_url: `${ward.config.server.issuer}/account`,
          authorize_url: url,
          code_verifier: codeVerifier,
        };
        if (globals.json) return printJson(summary);
        if (globals.quiet) return;
        out(
          [
            "",
            "Ward dev server is running (embedded SQLite; Ctrl-C to stop)",
            "",
            `  Issuer         ${summary.issuer}`,
            `  Discovery      ${summary.discovery}`,
            `  JWKS           ${summary.jwks_uri}`,
            `  Admin API      ${summary.admin_url}`,
            `  Admin key      ${summary.admin_api_key}`,
            `  Data dir       ${summary.data_dir}`,
            `  Demo user      ${credentials.demo_user.email} / ${credentials.demo_user.password}`,
            `  Demo client    ${credentials.demo_client_id} (public, PKCE S256, redirect ${DEMO_REDIRECT_URI} on any loopback port)`,
            "",
            `  Try it         ${summary.try_in_browser}   (sign in as the demo user; the page shows the tokens)`,
            `  Account        ${summary.account_url}`,
            "",
            "  By hand: open the authorize URL, sign in, copy `code` from the redirect, then POST it to /token",
            "  with grant_type=authorization_code, client_id, redirect_uri and this code_verifier:",
            `  Authorize URL  ${url}`,
            `  code_verifier  ${codeVerifier}`,
            "",
            "  Try: ward admin clients list    (the admin key is read from the data dir)",
            "",
          ].join("\n"),
        );
      });
    });
}
