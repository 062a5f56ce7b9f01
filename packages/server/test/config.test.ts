import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkConfigSafety,
  configurationMarkdown,
  decodeMasterKey,
  formatProblemLine,
  loadConfig,
  redactConfig,
  weakSecretHint,
} from "../src/config/index.js";

const strong = "f3a9c1e07b2d4e8a96c5d1f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
const masterHex = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbbaa99887766554433221100";

function writeYaml(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ward-config-"));
  const path = join(dir, "ward.yaml");
  writeFileSync(path, text);
  return path;
}

describe("configuration loading", () => {
  it("gives documented defaults with no file and no environment", () => {
    const { config, problems } = loadConfig({ env: {} });
    expect(problems).toEqual([]);
    expect(config.server).toEqual({ issuer: "http://127.0.0.1:9000", host: "127.0.0.1", port: 9000, shutdown_timeout: 10 });
    expect(config.keys.publish_ahead).toBe(360);
    expect(config.admin.port).toBe(9001);
    expect(config.keys.algorithm).toBe("ES256");
    expect(config.database.url).toBe("sqlite:ward.db");
  });

  it("layers file < WARD_<SECTION>_<KEY> environment < overrides, and records sources", () => {
    const file = writeYaml("server:\n  port: 9100\n  host: 0.0.0.0\nkeys:\n  algorithm: RS256\n");
    const { config, problems, sources } = loadConfig({
      file,
      env: { WARD_SERVER_PORT: "9200", WARD_ADMIN_TLS_TERMINATED: "true", WARD_KEYS_JWKS_MAX_AGE: "60", PATH: "/bin" },
      overrides: { server: { host: "127.0.0.1" } },
    });
    expect(problems).toEqual([]);
    expect(config.server.port).toBe(9200);
    expect(config.server.host).toBe("127.0.0.1");
    expect(config.keys.algorithm).toBe("RS256");
    expect(config.admin.tls_terminated).toBe(true);
    expect(config.keys.jwks_max_age).toBe(60);
    expect(sources["server.port"]).toBe("WARD_SERVER_PORT");
    expect(sources["keys.algorithm"]).toBe(file);
    expect(sources["server.host"]).toBe("override");
    expect(sources["logging.level"]).toBe("default");
  });

  it("rejects unknown keys in the file with a suggestion", () => {
    const file = writeYaml("server:\n  issuer: http://127.0.0.1:9000\n  isuer: x\nsesion:\n  secret: y\n");
    const { problems } = loadConfig({ file, env: {} });
    expect(problems.map((p) => p.code)).toEqual(["config_unknown_key", "config_unknown_key"]);
    expect(problems[0]?.message).toBe(`${file} sets server.isuer, which is not a Ward configuration key. Did you mean server.issuer?`);
    expect(problems[1]?.message).toContain("sets sesion, which is not a Ward configuration key. Did you mean session?");
  });

  it("rejects unknown WARD_* variables of a known section, ignores CLI-side ones", () => {
    const { problems } = loadConfig({
      env: { WARD_SERVER_ISSEUR: "https://x", WARD_ADMIN_URL: "http://127.0.0.1:9001", WARD_CONFIG: "a.yaml" },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.code).toBe("config_unknown_key");
    expect(problems[0]?.message).toBe(
      "environment variable WARD_SERVER_ISSEUR sets WARD_SERVER_ISSEUR, which is not a Ward configuration key. Did you mean WARD_SERVER_ISSUER?",
    );
  });

  it("names the key, the source, the value and the expectation for an invalid value", () => {
    const { problems } = loadConfig({ env: { WARD_SERVER_PORT: "nine", WARD_KEYS_ALGORITHM: "HS256" } });
    expect(problems.map((p) => p.code)).toEqual(["config_invalid_value", "config_invalid_value"]);
    expect(problems[0]?.message).toMatch(/^server\.port \(from WARD_SERVER_PORT\) is "nine"; expected .*number/);
    expect(problems[1]?.message).toMatch(/^keys\.algorithm \(from WARD_KEYS_ALGORITHM\) is "HS256"; expected .*ES256/);
  });

  it("never echoes a secret in an invalid-value message", () => {
    const file = writeYaml("admin:\n  api_key: 12345\n");
    const { problems } = loadConfig({ file, env: {} });
    expect(problems[0]?.code).toBe("config_invalid_value");
    expect(problems[0]?.message).not.toContain("12345");
  });

  it("reports an unreadable file and invalid YAML as catalog errors", () => {
    expect(loadConfig({ file: "/nonexistent/ward.yaml", env: {} }).problems[0]?.code).toBe("config_file_unreadable");
    const bad = writeYaml("server:\n  issuer: [unclosed\n");
    expect(loadConfig({ file: bad, env: {} }).problems[0]?.code).toBe("config_file_invalid_yaml");
  });
});

describe("boot validation refuses unsafe production config", () => {
  it("names each missing secret for an https issuer with no secrets", () => {
    const { config } = loadConfig({ env: { WARD_SERVER_ISSUER: "https://auth.example.com" } });
    const problems = checkConfigSafety(config);
    expect(problems.map((p) => p.code)).toEqual([
      "config_session_secret_missing",
      "config_admin_api_key_missing",
      "config_master_key_missing",
    ]);
    const lines = problems.map(formatProblemLine);
    expect(lines[0]).toContain("session.secret must be set");
    expect(lines[0]).toContain("WARD_SESSION_SECRET");
    expect(lines[1]).toContain("WARD_ADMIN_API_KEY");
    expect(lines[2]).toContain("WARD_SECRETS_MASTER_KEY");
  });

  it("refuses a non-loopback http issuer", () => {
    const { config } = loadConfig({
      env: {
        WARD_SERVER_ISSUER: "http://auth.example.com",
        WARD_SESSION_SECRET: strong,
        WARD_ADMIN_API_KEY: strong.split("").reverse().join(""),
        WARD_SECRETS_MASTER_KEY: masterHex,
      },
    });
    expect(checkConfigSafety(config).map((p) => p.code)).toEqual(["config_issuer_not_https"]);
  });

  it("refuses weak and short secrets without printing them", () => {
    const { config } = loadConfig({
      env: {
        WARD_SERVER_ISSUER: "https://auth.example.com",
        WARD_SESSION_SECRET: "changeme",
        WARD_ADMIN_API_KEY: "short-but-random-Zq9",
        WARD_SECRETS_MASTER_KEY: masterHex,
      },
    });
    const problems = checkConfigSafety(config);
    expect(problems.map((p) => p.code)).toEqual(["config_weak_secret", "config_secret_too_short"]);
    expect(problems[0]?.message).toBe(
      'session.secret is set to a well-known value (a variation of "changeme"); it must be a random secret.',
    );
    expect(problems[1]?.message).toBe("admin.api_key is 20 characters; it must be at least 32.");
    expect(problems.map(formatProblemLine).join("\n")).not.toContain("short-but-random-Zq9");
  });

  it("refuses a master key that is not 32 bytes, and accepts hex and base64url", () => {
    expect(decodeMasterKey(masterHex)).toHaveProperty("key");
    expect(decodeMasterKey(Buffer.from(masterHex, "hex").toString("base64url"))).toHaveProperty("key");
    expect(decodeMasterKey("abcd")).toEqual({ problem: "2 bytes (4 hex characters)" });
    expect(decodeMasterKey("not a key!")).toEqual({ problem: "a 10-character value that is neither hex nor base64url" });
    const { config } = loadConfig({ env: { WARD_SECRETS_MASTER_KEY: "a".repeat(64) } });
    expect(checkConfigSafety(config).map((p) => p.code)).toEqual(["config_weak_secret"]);
  });

  it("refuses an admin listener on a public address unless TLS termination is acknowledged", () => {
    const env = { WARD_ADMIN_HOST: "0.0.0.0", WARD_ADMIN_API_KEY: strong, WARD_DATABASE_URL: "sqlite::memory:" };
    expect(checkConfigSafety(loadConfig({ env }).config).map((p) => p.code)).toEqual(["config_admin_public_without_tls"]);
    expect(checkConfigSafety(loadConfig({ env: { ...env, WARD_ADMIN_TLS_TERMINATED: "true" } }).config)).toEqual([]);
  });

  it("refuses an issuer with a trailing slash, query or fragment", () => {
    const codes = (issuer: string) =>
      checkConfigSafety(loadConfig({ env: { WARD_SERVER_ISSUER: issuer, WARD_DATABASE_URL: "sqlite::memory:" } }).config).map(
        (p) => p.code,
      );
    expect(codes("http://127.0.0.1:9000/")).toEqual(["config_issuer_invalid"]);
    expect(codes("http://127.0.0.1:9000?x=1")).toEqual(["config_issuer_invalid"]);
    expect(codes("not a url")).toContain("config_issuer_invalid");
  });

  it("asks for a master key on a loopback issuer as soon as the database persists", () => {
    const problems = checkConfigSafety(loadConfig({ env: {} }).config);
    expect(problems.map((p) => p.code)).toEqual(["config_master_key_missing"]);
    expect(problems[0]?.message).toContain("database.url sqlite:ward.db keeps data across restarts");
    expect(checkConfigSafety(loadConfig({ env: { WARD_DATABASE_URL: "sqlite::memory:" } }).config)).toEqual([]);
  });

  it("refuses a loopback issuer on a network-facing listener (development rules on real traffic)", () => {
    const { config } = loadConfig({ env: { WARD_SERVER_HOST: "0.0.0.0", WARD_DATABASE_URL: "sqlite::memory:" } });
    expect(checkConfigSafety(config).map((p) => p.code)).toEqual(["config_loopback_issuer_on_public_listener"]);
    const production = loadConfig({
      env: {
        WARD_SERVER_HOST: "0.0.0.0",
        WARD_SERVER_ISSUER: "https://auth.example.com",
        WARD_SESSION_SECRET: strong,
        WARD_ADMIN_API_KEY: "Zx81kQ0pL2mN4bV6cX8zA1sD3fG5hJ7kL9qW2eR4tY6u",
        WARD_SECRETS_MASTER_KEY: masterHex,
      },
    });
    expect(checkConfigSafety(production.config)).toEqual([]);
  });

  it("refuses a database.url the server could not open, with the password redacted; accepts a Unix socket URL", () => {
    const problemsFor = (url: string) =>
      checkConfigSafety(loadConfig({ env: { WARD_DATABASE_URL: url, WARD_SECRETS_MASTER_KEY: masterHex } }).config);
    for (const url of ["postgres://ward:hunter2@/ward?host=/var/run/postgresql", "mysql://ward:hunter2@db/ward", "ward.db"]) {
      const problems = problemsFor(url);
      expect(
        problems.map((p) => p.code),
        url,
      ).toEqual(["database_url_invalid"]);
      expect(problems[0]?.message).not.toContain("hunter2");
      expect(problems[0]?.message).toMatch(/^database\.url is .+; expected sqlite:<path>, sqlite::memory: or postgres:\/\//);
    }
    expect(problemsFor("postgres://ward:hunter2@/ward?host=/var/run/postgresql")[0]?.message).toContain("postgres://ward:***@/ward");
    expect(problemsFor("postgres:///ward?host=/var/run/postgresql&user=ward&password=hunter2")).toEqual([]);
    expect(problemsFor("postgresql://ward:hunter2@db:5432/ward")).toEqual([]);
  });

  it("derives the loopback issuer from server.port when the issuer is not set", () => {
    expect(loadConfig({ env: { WARD_SERVER_PORT: "8080" } }).config.server.issuer).toBe("http://127.0.0.1:8080");
    expect(loadConfig({ env: { WARD_SERVER_PORT: "0" } }).problems.map((p) => p.code)).toEqual(["config_invalid_value"]);
    expect(loadConfig({ env: { WARD_SERVER_PORT: "0", WARD_SERVER_ISSUER: "https://a.example.com" } }).problems).toEqual([]);
  });

  it("refuses a publish_ahead shorter than the JWKS cache, and a rotation interval shorter than an hour beyond it", () => {
    const env = {
      WARD_SERVER_ISSUER: "https://auth.example.com",
      WARD_SESSION_SECRET: strong,
      WARD_ADMIN_API_KEY: "Zx81kQ0pL2mN4bV6cX8zA1sD3fG5hJ7kL9qW2eR4tY6u",
      WARD_SECRETS_MASTER_KEY: masterHex,
    };
    const problems = checkConfigSafety(
      loadConfig({ env: { ...env, WARD_KEYS_PUBLISH_AHEAD: "10", WARD_KEYS_ROTATION_INTERVAL: "30m" } }).config,
    );
    expect(problems.map((p) => p.message)).toEqual([
      "keys.publish_ahead is 10; expected at least keys.jwks_max_age (300), so verifiers with a cached JWKS know a key before it signs.",
      'keys.rotation_interval is "30m"; expected off, or at least keys.publish_ahead + 1h (3610 s); rotations are meant to be days apart, e.g. 90d.',
    ]);
  });

  it("accepts a complete production configuration", () => {
    const { config, problems } = loadConfig({
      env: {
        WARD_SERVER_ISSUER: "https://auth.example.com",
        WARD_SESSION_SECRET: strong,
        WARD_ADMIN_API_KEY: "Zx81kQ0pL2mN4bV6cX8zA1sD3fG5hJ7kL9qW2eR4tY6u",
        WARD_SECRETS_MASTER_KEY: masterHex,
      },
    });
    expect(problems).toEqual([]);
    expect(checkConfigSafety(config)).toEqual([]);
  });

  it("recognises weak values", () => {
    for (const weak of [
      "changeme",
      "Secret123",
      "PASSWORD",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "changeme-changeme-changeme-changeme",
    ]) {
      expect(weakSecretHint(weak), weak).toBeDefined();
    }
    expect(weakSecretHint(strong)).toBeUndefined();
  });
});

describe("ward config check output", () => {
  it("redacts secrets and database passwords", () => {
    const { config } = loadConfig({ env: { WARD_ADMIN_API_KEY: strong, WARD_DATABASE_URL: "postgres://ward:hunter2@db:5432/ward" } });
    const redacted = JSON.stringify(redactConfig(config));
    expect(redacted).not.toContain(strong);
    expect(redacted).not.toContain("hunter2");
    expect(redactConfig(config).admin?.api_key).toBe(`<redacted: ${strong.length} characters>`);
    expect(redactConfig(config).session?.secret).toBe("<not set>");
    expect(redactConfig(config).database?.url).toBe("postgres://ward:***@db:5432/ward");
  });
});

describe("docs/configuration.md", () => {
  it("is generated from the config spec (run `npm run docs` when this fails)", () => {
    const path = new URL("../../../docs/configuration.md", import.meta.url);
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    expect(current, "docs/configuration.md is stale: run `npm run docs`").toBe(configurationMarkdown());
  });
});
