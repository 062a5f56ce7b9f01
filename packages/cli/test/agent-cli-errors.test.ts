import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { runWard } from "./run-ward.js";

const sandboxes: AgentSandbox[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});
async function sandbox(env: Record<string, string> = {}) {
  const s = await agentSandbox(env);
  sandboxes.push(s);
  return s;
}
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

async function withApiKey(env: Record<string, string> = {}) {
  const s = await sandbox(env);
  const login = await runWard(["login", "openai", "--flow", "api_key"], { env: s.env, input: "sk-test-0123456789abcdef\n" });
  expect(login.code, login.stderr).toBe(0);
  expect(login.stdout).toContain("✓ Stored the API key for openai (default)");
  return s;
}

describe("api keys: read from stdin or a hidden prompt, never argv", { timeout: 60_000 }, () => {
  it("stores a piped key, shows it redacted, and exports it under the provider's variable", async () => {
    const s = await withApiKey();
    expect(readFileSync(join(s.home, "credentials.enc"), "utf8")).not.toContain("sk-test-0123456789abcdef");
    const shown = await runWard(["get", "openai"], { env: s.env });
    expect(shown.stdout).toMatch(/api_key\s+sk-t…\(24 characters\)/);
    expect(shown.stdout).not.toContain("sk-test-0123456789abcdef");
    expect((await runWard(["export", "openai", "--format", "shell"], { env: s.env })).stdout).toBe(
      "export OPENAI_API_KEY='sk-test-0123456789abcdef'\n",
    );
    expect(JSON.parse((await runWard(["export", "--format", "json"], { env: s.env })).stdout)).toEqual({
      OPENAI_API_KEY: "sk-test-0123456789abcdef",
    });
    const list = JSON.parse((await runWard(["--json", "list"], { env: s.env })).stdout) as Record<string, unknown>[];
    expect(list).toContainEqual(
      expect.objectContaining({ provider: "openai", source: "built-in", connection: "default", state: "API key stored" }),
    );
    expect(list).toContainEqual({ provider: "github", source: "built-in", connection: null, state: "not logged in", default: "" });
    expect(JSON.parse((await runWard(["--json", "list", "--connected"], { env: s.env })).stdout)).toEqual([
      expect.objectContaining({ provider: "openai", connection: "default", default: "*", kind: "api_key" }),
    ]);
    const log = await runWard(["log"], { env: s.env });
    expect(log.stdout).toContain("login");
    expect(log.stdout).toContain("export");
    expect(readFileSync(join(s.home, "audit.log"), "utf8")).not.toContain("sk-test");
  });

  it("refuses a key on the command line with agent_secret_in_argv (exit 2) and stores nothing", async () => {
    const s = await sandbox();
    const result = await runWard(["login", "openai", "--flow", "api_key", "--api-key", "sk-leaked"], { env: s.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("✗ agent_secret_in_argv: --api-key was passed as a command-line argument");
    expect(result.stderr).toContain("Fix: ");
    expect(existsSync(join(s.home, "credentials.enc"))).toBe(false);
    // A client secret too, whatever else would pick the client (here a metadata document URL), before any network.
    const secret = await runWard(
      ["login", "https://mcp.invalid/mcp", "--client-secret", "s3cr3t", "--client-metadata-url", "https://example.com/c.json"],
      { env: s.env },
    );
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain("✗ agent_secret_in_argv: --client-secret was passed as a command-line argument");
    expect(secret.stderr).not.toContain("s3cr3t");
    expect(existsSync(join(s.home, "credentials.enc"))).toBe(false);
  });

  it("logout removes the credentials; then get is agent_not_logged_in (exit 6) with the login command", async () => {
    const s = await withApiKey();
    expect((await runWard(["logout", "openai"], { env: s.env })).stdout).toContain("✓ Logged out of openai");
    const result = await runWard(["get", "openai"], { env: s.env });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("✗ agent_not_logged_in: There is no connection default for provider openai.");
    expect(result.stderr).toContain("Fix: Run `ward login <provider>`");
  });
});

describe("store failures through the CLI: clear error, nothing overwritten", { timeout: 60_000 }, () => {
  it("corrupted store file: agent_store_corrupted naming the file (exit 1); a login attempt leaves the bytes as they were", async () => {
    const s = await withApiKey();
    const path = join(s.home, "credentials.enc");
    writeFileSync(path, '{"format":"ward-agent-store","version":1,"alg":"A256GCM","key_id":"x"');
    const before = sha(path);
    const list = await runWard(["list"], { env: s.env });
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(`✗ agent_store_corrupted: The credential store ${path} cannot be read: it is not valid JSON`);
    expect(list.stderr).toContain("It was left untouched.");
    expect(list.stderr).toContain("Fix: Restore the file from a backup, or move it aside");
    const login = await runWard(["login", "anthropic", "--flow", "api_key"], { env: s.env, input: "sk-ant-x\n" });
    expect(login.code).toBe(1);
    expect(sha(path)).toBe(before);
  });

  it("wrong master key: agent_master_key_wrong with both key ids and where the key came from (exit 1), nothing overwritten", async () => {
    const s = await withApiKey({ WARD_AGENT_MASTER_KEY: "1".repeat(64) });
    const path = join(s.home, "credentials.enc");
    const before = sha(path);
    const env = { ...s.env, WARD_AGENT_MASTER_KEY: "2".repeat(64) };
    const list = await runWard(["list"], { env });
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(
      /✗ agent_master_key_wrong: The credential store .* was encrypted under master key \S+, but the key in use \(WARD_AGENT_MASTER_KEY\) is \S+\./,
    );
    expect((await runWard(["login", "anthropic", "--flow", "api_key"], { env, input: "sk-ant-x\n" })).code).toBe(1);
    expect(sha(path)).toBe(before);
    expect((await runWard(["list"], { env: s.env })).stdout).toContain("openai");
  });
});

describe("providers", { timeout: 60_000 }, () => {
  it("lists the built-in catalog, and an unknown provider is agent_provider_unknown (exit 2) listing the known ones", async () => {
    const s = await sandbox();
    const list = await runWard(["providers", "list"], { env: s.env });
    for (const name of [
      "github",
      "gitlab",
      "google",
      "microsoft",
      "slack",
      "linear",
      "notion",
      "atlassian",
      "discord",
      "openai",
      "anthropic",
    ])
      expect(list.stdout).toMatch(new RegExp(`^${name}\\s`, "m"));
    const result = await runWard(["get", "githib"], { env: s.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("✗ agent_provider_unknown: There is no provider named githib; known providers: github,");
  });

  it("a provider file against the schema: the wrong field is named with what was expected, and nothing is added", async () => {
    const s = await sandbox();
    const file = join(s.home, "acme.json");
    writeFileSync(file, JSON.stringify({ name: "acme", flows: ["pkce", "magic"], default_flow: "pkce", issuer: "https://id.acme.test" }));
    const result = await runWard(["providers", "add", file], { env: s.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '✗ agent_provider_invalid: Provider acme: flows is ["pkce","magic"]; expected a non-empty list of pkce, device_code, dcr_pkce, api_key.',
    );
    expect(existsSync(join(s.home, "providers", "acme.json"))).toBe(false);
    const schema = JSON.parse((await runWard(["providers", "schema"], { env: s.env })).stdout);
    expect(schema.required).toEqual(["name", "flows", "default_flow"]);
  });

  it("an issuer that publishes no metadata is agent_discovery_failed naming the URL tried (exit 4)", async () => {
    const s = await sandbox();
    const result = await runWard(["providers", "add", "--issuer", `http://127.0.0.1:${s.port}`, "--name", "nowhere"], { env: s.env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      `✗ agent_discovery_failed: Fetching http://127.0.0.1:${s.port}/.well-known/openid-configuration failed: ECONNREFUSED.`,
    );
  });
});

describe("ward doctor", { timeout: 60_000 }, () => {
  it("reports the store, master key source and daemon; a damaged store makes it exit 1", async () => {
    const s = await withApiKey();
    const ok = await runWard(["doctor"], { env: s.env });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain(`✓ store: ${join(s.home, "credentials.enc")} readable, master key from ${join(s.home, "master.key")}`);
    expect(ok.stdout).toContain(`✓ daemon: not running (starts on demand on ${s.port})`);
    writeFileSync(join(s.home, "credentials.enc"), "garbage");
    const bad = await runWard(["doctor"], { env: s.env });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("✗ store: The credential store");
  });
});
