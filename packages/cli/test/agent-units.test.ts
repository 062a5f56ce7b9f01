import { describe, expect, it } from "vitest";
import { describeSkew, readProviderClock } from "../src/agent/commands/doctor-network.js";
import { PendingLogins } from "../src/agent/daemon/logins.js";
import { metadataUrls } from "../src/agent/oauth/discovery.js";
import { waitingLine } from "../src/agent/progress.js";
import { BUILTIN_PROVIDERS } from "../src/agent/providers/builtin.js";
import { mcpProviderName } from "../src/agent/providers/mcp.js";
import { validateProvider } from "../src/agent/providers/provider-schema.js";
import type { ProviderDefinition } from "../src/agent/providers/types.js";
import { proxyChildEnv } from "../src/agent/proxy/child-env.js";

describe("RFC 8414 §3.1 metadata URLs", () => {
  it("inserts the well-known suffix before the issuer's path, then tries OpenID discovery after it", () => {
    expect(metadataUrls("https://id.example.com")).toEqual([
      "https://id.example.com/.well-known/oauth-authorization-server",
      "https://id.example.com/.well-known/openid-configuration",
    ]);
    expect(metadataUrls("https://id.example.com/tenant/a")).toEqual([
      "https://id.example.com/.well-known/oauth-authorization-server/tenant/a",
      "https://id.example.com/tenant/a/.well-known/openid-configuration",
    ]);
  });
});

describe("pending logins (the daemon's state table)", () => {
  it("a tab of a login that timed out is stale ('timed out'), not a mismatch, and does not disturb a newer login", () => {
    let now = 0;
    const logins = new PendingLogins(() => now);
    logins.register("old-state-0123456789", 1000);
    now = 2000;
    logins.register("new-state-0123456789", 60_000);
    expect(logins.callback("old-state-0123456789", { code: "late" })).toEqual({
      kind: "stale",
      received: "old-state-0123456789",
      outcome: "timed out",
    });
    expect(logins.collect("new-state-0123456789")).toEqual({ status: "pending", mismatch: undefined });
    expect(logins.callback("new-state-0123456789", { code: "c" })).toEqual({ kind: "accepted" });
    expect(logins.collect("new-state-0123456789")).toEqual({ status: "received", result: { code: "c" } });
    expect(logins.callback("new-state-0123456789", { code: "again" })).toMatchObject({ kind: "stale", outcome: "finished" });
  });

  it("a callback without state is a mismatch", () => {
    const logins = new PendingLogins();
    expect(logins.callback(undefined, { code: "x" })).toEqual({ kind: "mismatch", received: "(none)" });
  });
});

describe("providers catalog", () => {
  it("every built-in provider satisfies the provider schema", () => {
    for (const provider of BUILTIN_PROVIDERS) expect(validateProvider(structuredClone(provider)).name).toBe(provider.name);
  });

  it("an OAuth provider without an issuer or endpoints is refused naming the field", () => {
    expect(() => validateProvider({ name: "x", flows: ["pkce"], default_flow: "pkce" })).toThrow(
      expect.objectContaining({
        code: "agent_provider_invalid",
        message: expect.stringContaining("issuer is missing; expected an issuer, an mcp_url"),
      }),
    );
    expect(() => validateProvider({ name: "x", flows: ["api_key"], default_flow: "pkce" })).toThrow(
      expect.objectContaining({ message: 'Provider x: default_flow is "pkce"; expected one of flows (api_key).' }),
    );
  });

  it("names an MCP server after its host, port and path", () => {
    expect(mcpProviderName("http://127.0.0.1:4100/mcp")).toBe("mcp-127-0-0-1-4100-mcp");
    expect(mcpProviderName("https://mcp.example.com/")).toBe("mcp-mcp-example-com");
  });
});

describe("waiting line (a spinner with the time left while a login waits)", () => {
  const recorder = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } };
  };

  it("draws the label and the seconds left on a terminal, and clears the line when stopped", async () => {
    const { writes, stream } = recorder(true);
    const now = 1_000_000;
    const stop = waitingLine(stream, () => now, 5)("Waiting for the browser to come back", now + 83_400);
    await new Promise((resolve) => setTimeout(resolve, 30));
    stop();
    expect(writes[0]).toBe("\r\x1b[2K⠋ Waiting for the browser to come back (84 s left)");
    expect(writes.length).toBeGreaterThan(2);
    expect(writes.at(-1)).toBe("\r\x1b[2K");
    const count = writes.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(writes.length).toBe(count);
  });

  it("writes nothing when the stream is not a terminal (logs, CI, --json pipes)", () => {
    const { writes, stream } = recorder(false);
    waitingLine(stream)("Waiting", Date.now() + 10_000)();
    expect(writes).toEqual([]);
  });
});

describe("ward doctor's clock verdict", () => {
  const url = "https://id.example.com/token";
  it("within 30 s is in sync; beyond it says ahead or behind by how much and how to fix it", () => {
    expect(describeSkew({ url, skewSeconds: 0 })).toEqual({ ok: true, detail: `in sync with ${url} (±1 s)` });
    expect(describeSkew({ url, skewSeconds: -30 })).toEqual({ ok: true, detail: `in sync with ${url} (-30 s)` });
    const ahead = describeSkew({ url, skewSeconds: 95 });
    expect(ahead.ok).toBe(false);
    expect(ahead.detail).toBe(
      `this machine is 95 s ahead of ${url}: tokens will look expired or not yet valid; sync the clock (timedatectl set-ntp true, or your OS's time settings)`,
    );
    expect(describeSkew({ url, skewSeconds: -31 }).detail).toMatch(/^this machine is 31 s behind /);
    expect(describeSkew({ url, problem: "unreachable (ECONNREFUSED)" })).toEqual({
      ok: false,
      detail: `${url}: unreachable (ECONNREFUSED)`,
    });
  });
});

describe("ward run --proxy: the child's NO_PROXY", () => {
  it("drops every entry that would send an API host around the proxy (the host, a domain above it, *), keeps the others", () => {
    const base = { NO_PROXY: "localhost,127.0.0.1,*,.github.com,github.com,api.github.com:443,example.org,notgithub.com" };
    const child = proxyChildEnv(base, "http://ward:x@127.0.0.1:1", "", ["api.github.com"]);
    try {
      expect(child.env.NO_PROXY).toBe("localhost,127.0.0.1,example.org,notgithub.com");
      expect(child.env.no_proxy).toBe(child.env.NO_PROXY);
    } finally {
      child.cleanup();
    }
  });
});

describe("ward doctor's clock reading", () => {
  it("asks only https (or http on loopback) endpoints, like every other request of the CLI", async () => {
    const reading = await readProviderClock({
      name: "plain",
      flows: ["pkce"],
      default_flow: "pkce",
      token_endpoint: "http://id.example.com/token",
    } as ProviderDefinition);
    expect(reading.skewSeconds).toBeUndefined();
    expect(reading.problem).toContain("only https URLs (or http on 127.0.0.1/localhost) are allowed");
  });
});
