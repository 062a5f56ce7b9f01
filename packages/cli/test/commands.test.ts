import { listErrors } from "@ward/core";
import { describe, expect, it } from "vitest";
import { json } from "../../server/test/support/json.js";
import { freePort } from "./ports.js";
import { runWard, startWard } from "./run-ward.js";

describe("ward server refuses unsafe production config", () => {
  it("names each missing key with its fix, one line per problem, and exits 1", async () => {
    const result = await runWard(["server"], {
      env: { WARD_SERVER_ISSUER: "https://auth.example.com", WARD_DATABASE_URL: "sqlite::memory:" },
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toBe("ward: refusing to start, 3 configuration problem(s):");
    expect(lines[1]).toMatch(/^✗ config_session_secret_missing: session\.secret must be set .* Fix: .*WARD_SESSION_SECRET/);
    expect(lines[2]).toMatch(/^✗ config_admin_api_key_missing: admin\.api_key must be set .* Fix: .*WARD_ADMIN_API_KEY/);
    expect(lines[3]).toMatch(/^✗ config_master_key_missing: secrets\.master_key must be set .* Fix: .*WARD_SECRETS_MASTER_KEY/);
    expect(lines).toHaveLength(4);
  });

  it("starts with a complete production config, serves the https issuer, and stops gracefully on SIGTERM", async () => {
    const port = await freePort();
    const server = await startWard(["server"], '"msg":"ward server listening"', {
      env: {
        WARD_SERVER_ISSUER: "https://auth.example.com",
        WARD_SERVER_PORT: String(port),
        WARD_ADMIN_PORT: String(await freePort()),
        WARD_SESSION_SECRET: "3c1f9a7e5b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e",
        WARD_ADMIN_API_KEY: "Zx81kQ0pL2mN4bV6cX8zA1sD3fG5hJ7kL9qW2eR4",
        WARD_SECRETS_MASTER_KEY: "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbbaa99887766554433221100",
        WARD_DATABASE_URL: "sqlite::memory:",
        WARD_LOGGING_LEVEL: "info",
      },
    });
    const metadata = await json(await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`));
    expect(metadata.issuer).toBe("https://auth.example.com");
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain('"msg":"shutting down"');
    expect(server.output()).toBe("");
    expect(server.stderr()).not.toContain("Zx81kQ0pL2mN4bV6cX8zA1sD3fG5hJ7kL9qW2eR4");
  });
});

describe("ward config check", () => {
  it("prints the effective config with secrets redacted and every problem", async () => {
    const result = await runWard(["config", "check"], {
      env: { WARD_SERVER_ISSUER: "https://auth.example.com", WARD_ADMIN_API_KEY: "changeme" },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("issuer: https://auth.example.com");
    expect(result.stdout).toContain('api_key: "<redacted: 8 characters>"');
    expect(result.stdout).not.toContain("changeme\n");
    expect(result.stdout).toContain("✗ config_weak_secret: admin.api_key is set to a well-known value");
    expect(result.stdout).toContain("✗ config_session_secret_missing");
  });

  it("asks for a master key even on a loopback issuer when the database persists", async () => {
    const result = await runWard(["config", "check"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "✗ config_master_key_missing: secrets.master_key must be set because database.url sqlite:ward.db keeps data",
    );
  });

  it("exits 0 with no problems for an in-memory loopback server", async () => {
    const result = await runWard(["config", "check"], { env: { WARD_DATABASE_URL: "sqlite::memory:" } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("No problems found.");
  });
});

describe("ward explain", () => {
  it("works offline for every catalog code", async () => {
    const list = await runWard(["explain", "--list", "--json"]);
    expect(list.code).toBe(0);
    const codes = (JSON.parse(list.stdout) as { code: string }[]).map((e) => e.code);
    expect(codes).toEqual(listErrors().map((e) => e.code));
    for (const code of ["config_session_secret_missing", "admin_invalid_body", "endpoint_not_found"]) {
      const result = await runWard(["explain", code]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(code);
    }
  });
});

describe("ward admin without a server", () => {
  it("exits 4 with admin_api_unreachable naming the URL", async () => {
    const port = await freePort();
    const result = await runWard(["admin", "--url", `http://127.0.0.1:${port}`, "--key", "k".repeat(40), "clients", "list"]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`✗ admin_api_unreachable: Nothing answers at http://127.0.0.1:${port}: ECONNREFUSED.`);
  });

  it("exits 2 (usage) with admin_key_unavailable when no key can be found", async () => {
    const result = await runWard(["admin", "--data-dir", "/nonexistent-ward-dir", "clients", "list"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("✗ admin_key_unavailable:");
  });
});

describe("ward admin never leaks the admin key", () => {
  it("refuses a plain-http admin URL on another host (admin_url_insecure, exit 2), sending nothing", async () => {
    const result = await runWard(["admin", "--url", "http://admin.example.com:9001", "--key", "k".repeat(40), "clients", "list"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("✗ admin_url_insecure: http://admin.example.com:9001 is not an https URL on another host");
  });
});

describe("ward --help (command modules are loaded per command)", () => {
  it("lists the commands of every module, and `ward server` alone still parses its own options", async () => {
    const all = await runWard(["--help"]);
    expect(all.code).toBe(0);
    for (const command of ["dev", "server", "admin", "explain", "config", "login", "daemon"]) {
      expect(all.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    const server = await runWard(["--quiet", "server", "--help"]);
    expect(server.code).toBe(0);
    expect(server.stdout).toContain("Usage: ward server [options]");
    expect(server.stdout).toContain("--config <file>");
  });
});
