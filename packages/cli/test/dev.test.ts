import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../../server/test/support/browser.js";
import { json } from "../../server/test/support/json.js";
import { freePort } from "./ports.js";
import { bannerValue, type RunningWard, runWard, startWard } from "./run-ward.js";

let dataDir: string;
let port: number;
let adminPort: number;
let dev: RunningWard | undefined;
let issuer: string;

async function startDev(): Promise<RunningWard> {
  return startWard(["dev", "--port", String(port), "--admin-port", String(adminPort), "--data-dir", dataDir], "Authorize URL");
}

const admin = (...args: string[]) => runWard(["admin", "--url", `http://127.0.0.1:${adminPort}`, "--data-dir", dataDir, ...args]);

beforeAll(async () => {
  dataDir = join(mkdtempSync(join(tmpdir(), "ward-dev-")), ".ward");
  port = await freePort();
  adminPort = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  dev = await startDev();
});

afterAll(async () => {
  await dev?.stop();
});

describe("ward dev: zero-config start", () => {
  it("prints the issuer, admin key, demo credentials and an authorize URL", () => {
    const output = dev?.output() ?? "";
    expect(bannerValue(output, "Issuer")).toBe(issuer);
    expect(bannerValue(output, "Admin key")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(bannerValue(output, "Demo user")).toMatch(/^demo@example\.com \/ \S{12}$/);
    expect(bannerValue(output, "Demo client")).toMatch(/^ward-demo /);
    const authorize = new URL(bannerValue(output, "Authorize URL"));
    expect(authorize.origin + authorize.pathname).toBe(`${issuer}/authorize`);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("client_id")).toBe("ward-demo");
  });

  it("runs a whole flow from the printed Try it URL to the dev callback page showing the decoded tokens", async () => {
    const output = dev?.output() ?? "";
    const tryIt = bannerValue(output, "Try it").split(" ")[0] as string;
    expect(tryIt).toBe(`${issuer}/dev/start`);
    const [email, password] = bannerValue(output, "Demo user").split(" / ") as [string, string];
    const browser = new TestBrowser(issuer);
    const login = await browser.navigate(tryIt);
    expect(login.title).toBe("Sign in");
    const consent = await browser.submit(login, { email, password }, "Sign in");
    expect(consent.title).toBe("Allow Ward demo (public, PKCE)?");
    const done = await browser.submit(consent, {}, "Allow");
    expect(done.title).toBe("It worked: tokens from Ward");
    expect(done.html).toContain("&quot;typ&quot;: &quot;at+jwt&quot;");
    expect(done.html).toContain("&quot;email&quot;: &quot;demo@example.com&quot;");
    expect(done.html).toContain("(opaque)");
  });

  it("serves valid metadata whose jwks_uri serves the signing key", async () => {
    const metadata = await json(await fetch(`${issuer}/.well-known/openid-configuration`));
    expect(metadata.issuer).toBe(issuer);
    const jwks = await json(await fetch(metadata.jwks_uri));
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
  });
});

describe("ward dev --json", () => {
  it("prints one JSON document on stdout (logs go to stderr) and ignores production WARD_* variables", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ward-dev-json-")), ".ward");
    const jsonPort = await freePort();
    const running = await startWard(
      ["dev", "--json", "--port", String(jsonPort), "--admin-port", "0", "--data-dir", dir],
      '"code_verifier"',
      {
        env: { WARD_DATABASE_URL: "postgres://prod.example.com/ward", WARD_ADMIN_API_KEY: "production-admin-key-0123456789abcdef" },
      },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const summary = JSON.parse(running.output());
      expect(summary.issuer).toBe(`http://127.0.0.1:${jsonPort}`);
      expect(summary.database).toBe(`sqlite:${join(dir, "ward.db")}`);
      expect(summary.admin_api_key).not.toBe("production-admin-key-0123456789abcdef");
      expect(running.stderr()).toContain("ward dev: ignoring WARD_DATABASE_URL");
      expect(running.stderr()).toContain("ward dev: ignoring WARD_ADMIN_API_KEY");
    } finally {
      expect(await running.stop()).toBe(0);
    }
  });
});

describe("ward dev turns on dynamic registration and client ID metadata documents", () => {
  it("advertises registration_endpoint and client_id_metadata_document_supported, and registers a client", async () => {
    const metadata = await json(await fetch(`${issuer}/.well-known/oauth-authorization-server`));
    expect(metadata.registration_endpoint).toBe(`${issuer}/register`);
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    const registered = await fetch(`${issuer}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:8976/callback"], token_endpoint_auth_method: "none" }),
    });
    expect(registered.status).toBe(201);
  });

  it("ward admin registration-tokens create prints the token once; list never shows it; delete removes it", async () => {
    const created = await admin("registration-tokens", "create", "--uses", "2", "--expires-in", "3600", "--description", "CI", "--json");
    expect(created.code, created.stderr).toBe(0);
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({ uses_left: 2, uses: 0, description: "CI" });
    expect(token.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const listed = await admin("registration-tokens", "list", "--json");
    expect(JSON.parse(listed.stdout).registration_tokens.map((t: { id: string }) => t.id)).toContain(token.id);
    expect(listed.stdout).not.toContain(token.token);
    expect((await admin("registration-tokens", "delete", token.id)).code).toBe(0);
    const again = await admin("registration-tokens", "delete", token.id);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("registration_token_not_found");
  });
});

describe("ward admin against the running dev server", () => {
  let clientId = "";

  it("creates a client that `clients get` shows (secret returned once)", async () => {
    const created = await admin("clients", "create", "--name", "Docs bot", "--redirect-uri", "https://app.example.com/callback", "--json");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout);
    clientId = body.client_id;
    expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const got = await admin("clients", "get", clientId, "--json");
    expect(got.code).toBe(0);
    const shown = JSON.parse(got.stdout);
    expect(shown).toMatchObject({ client_id: clientId, client_name: "Docs bot", redirect_uris: ["https://app.example.com/callback"] });
    expect(shown).not.toHaveProperty("client_secret");
    expect(shown).not.toHaveProperty("client_secret_hash");
  });

  it("a client id that begins with '-' is read as an unknown option, with a hint that works: after '--'", async () => {
    const dashId = "-dash-client-0001";
    const created = await admin(
      "clients",
      "create",
      `--client-id=${dashId}`,
      "--name",
      "Dash",
      "--redirect-uri",
      "https://app.example.com/cb",
      "--json",
    );
    expect(created.code, created.stderr).toBe(0);
    const refused = await admin("clients", "get", dashId, "--json");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`unknown option '${dashId}'`);
    expect(refused.stderr).toContain(`hint: if '${dashId}' is an id that begins with "-", put it after "--"`);
    const got = await admin("clients", "get", "--json", "--", dashId);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ client_id: dashId, client_name: "Dash" });
    const typo = await admin("clients", "get", clientId, "--jsno");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown option '--jsno'");
    expect(typo.stderr).not.toContain("hint: if");
  });

  it("sets per-client token lifetimes and a resource's introspection clients from flags; a bad lifetime names the field", async () => {
    const updated = await admin("clients", "update", clientId, "--access-token-ttl", "120", "--refresh-token-ttl", "86400", "--json");
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ access_token_ttl: 120, refresh_token_ttl: 86400, id_token_ttl: null });
    const refused = await admin("clients", "update", clientId, "--id-token-ttl", "soon");
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("id_token_ttl");
    const resource = await admin(
      "resources",
      "create",
      "--uri",
      "https://api.example.com/notes",
      "--introspection-client",
      clientId,
      "--json",
    );
    expect(resource.code, resource.stderr).toBe(0);
    expect(JSON.parse(resource.stdout).introspection_clients).toEqual([clientId]);
  });

  it("serves PAR without requiring it (par.required stays off), and --require-par / --no-require-par set the client field", async () => {
    const metadata = await json(await fetch(`${issuer}/.well-known/oauth-authorization-server`));
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${issuer}/par`);
    expect(metadata.require_pushed_authorization_requests).toBe(false);
    const on = await admin("clients", "update", clientId, "--require-par", "--json");
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout).require_pushed_authorization_requests).toBe(true);
    const off = await admin("clients", "update", clientId, "--no-require-par", "--json");
    expect(JSON.parse(off.stdout).require_pushed_authorization_requests).toBe(false);
  });

  it("reads the audit log: the client created above is there", async () => {
    const listed = await admin("audit", "list", "--type", "client.created", "--subject", clientId, "--json");
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).audit_events).toMatchObject([{ type: "client.created", actor: "admin", subject: clientId }]);
    const table = await admin("audit", "list", "--limit", "5");
    expect(table.stdout).toContain("client.created");
  });

  it("advertises token exchange and JWT bearer (ward dev turns them on); manages trusted issuers and exchange settings from flags", async () => {
    const metadata = await json(await fetch(`${issuer}/.well-known/oauth-authorization-server`));
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(["urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:jwt-bearer"]),
    );
    const resource = await admin(
      "resources",
      "create",
      "--uri",
      "https://api.example.com/exchange",
      "--token-exchange-client",
      "svc-a",
      "--may-act",
      "svc-a",
      "--json",
    );
    expect(resource.code, resource.stderr).toBe(0);
    expect(JSON.parse(resource.stdout)).toMatchObject({ token_exchange_clients: ["svc-a"], may_act: "svc-a" });
    const cleared = await admin("resources", "update", "https://api.example.com/exchange", "--may-act", "", "--json");
    expect(JSON.parse(cleared.stdout).may_act).toBeNull();

    const created = await admin(
      "trusted-issuers",
      "create",
      "--issuer",
      "https://idp.example.com",
      "--jwks-uri",
      "https://idp.example.com/jwks",
      "--client-id",
      "svc-a",
      "--resource",
      "https://api.example.com/exchange",
      "--subject-mapping",
      "email",
      "--json",
    );
    expect(created.code, created.stderr).toBe(0);
    const record = JSON.parse(created.stdout);
    expect(record).toMatchObject({ issuer: "https://idp.example.com", client_ids: ["svc-a"], subject_mapping: "email" });
    const table = await admin("trusted-issuers", "list");
    expect(table.stdout).toContain("https://idp.example.com");
    const got = await admin("trusted-issuers", "get", "https://idp.example.com", "--json");
    expect(JSON.parse(got.stdout).id).toBe(record.id);
    expect((await admin("trusted-issuers", "delete", record.id)).code).toBe(0);
    const gone = await admin("trusted-issuers", "get", record.id);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain("trusted_issuer_not_found");
  });

  it("answers a malformed body with 400 listing each bad field (exit 3), and creates nothing", async () => {
    const before = JSON.parse((await admin("clients", "list", "--json")).stdout).clients.length;
    const result = await admin(
      "clients",
      "create",
      "--body",
      JSON.stringify({ redirect_uris: ["not a url"], grant_types: ["implicit"], colour: "red" }),
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("✗ admin_invalid_body:");
    expect(result.stderr).toContain("- grant_types.0:");
    expect(result.stderr).toContain("- colour: received unknown field(s)");
    const response = await fetch(`http://127.0.0.1:${adminPort}/admin/v1/clients`, {
      method: "POST",
      headers: { authorization: `Bearer ${bannerValue(dev?.output() ?? "", "Admin key")}`, "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://ok.example.com/cb#frag"], token_endpoint_auth_method: "magic" }),
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.code).toBe("admin_invalid_body");
    expect(body.fields.map((f: { field: string }) => f.field)).toEqual(["token_endpoint_auth_method", "redirect_uris.0"]);
    const after = JSON.parse((await admin("clients", "list", "--json")).stdout).clients.length;
    expect(after).toBe(before);
  });

  it("rotates keys and keeps the old key in JWKS", async () => {
    const before = JSON.parse((await admin("keys", "list", "--json")).stdout).keys;
    const oldActive = before.find((k: { state: string }) => k.state === "active").kid;
    const rotated = await admin("keys", "rotate", "--json");
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout).retired).toBe(oldActive);
    const jwks = await json(await fetch(`${issuer}/jwks.json`));
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(oldActive);
  });

  it("restarting on the same data dir keeps keys, clients and users; SIGTERM exits 0", async () => {
    const keysBefore = JSON.parse((await admin("keys", "list", "--json")).stdout).keys.map((k: { kid: string }) => k.kid);
    const bannerBefore = dev?.output() ?? "";
    expect(await dev?.stop()).toBe(0);
    dev = await startDev();
    const output = dev.output();
    expect(bannerValue(output, "Admin key")).toBe(bannerValue(bannerBefore, "Admin key"));
    expect(bannerValue(output, "Demo user")).toBe(bannerValue(bannerBefore, "Demo user"));
    const keysAfter = JSON.parse((await admin("keys", "list", "--json")).stdout).keys.map((k: { kid: string }) => k.kid);
    expect(keysAfter).toEqual(keysBefore);
    const got = await admin("clients", "get", clientId, "--json");
    expect(JSON.parse(got.stdout).client_name).toBe("Docs bot");
    const users = JSON.parse((await admin("users", "list", "--json")).stdout).users;
    expect(users.map((u: { email: string }) => u.email)).toContain("demo@example.com");
  });
});
