import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chromiumUnavailable } from "../../server/test/support/chromium.js";
import type { TestWard } from "../../server/test/support/ward.js";
import { type AgentSandbox, agentSandbox } from "./agent-env.js";
import { runWard } from "./run-ward.js";
import { AGENT_RESOURCE, browserEnv, wardForAgent } from "./support/agent-ward.js";

const skip = chromiumUnavailable();
let t: TestWard;
const sandboxes: AgentSandbox[] = [];
beforeAll(async () => {
  t = await wardForAgent();
});
afterAll(async () => t?.stop());
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});

/** A sandbox with the live Ward added as provider `notes`. */
async function withProvider(consent: "allow" | "deny" | "none" = "allow", clientId = "agent-cli") {
  const s = await agentSandbox();
  sandboxes.push(s);
  s.env = { ...s.env, ...browserEnv(s.home, consent) };
  const added = await runWard(
    [
      "providers",
      "add",
      "--issuer",
      t.publicUrl,
      "--name",
      "notes",
      "--client-id",
      clientId,
      "--scopes",
      "notes:read",
      "--resource",
      AGENT_RESOURCE,
    ],
    { env: s.env },
  );
  expect(added.code, added.stderr).toBe(0);
  return s;
}

describe.skipIf(skip !== undefined)("ward login --flow pkce against a live Ward, $BROWSER driving chromium", { timeout: 120_000 }, () => {
  it("signs in, consents, lands on the daemon's callback, stores the tokens encrypted; ward get shows the granted scopes", async () => {
    const s = await withProvider();
    const login = await runWard(["login", "notes", "--flow", "pkce", "--timeout", "60"], { env: s.env, timeoutMs: 90_000 });
    expect(login.code, `${login.stderr}\n${readFileSync(join(s.home, "browser.log"), "utf8")}`).toBe(0);
    expect(login.stderr).toMatch(
      /Open this URL to log in to notes:\n {2}http:\/\/127\.0\.0\.1:\d+\/authorize\?response_type=code&client_id=agent-cli/,
    );
    expect(login.stderr).toContain("code_challenge_method=S256");
    expect(login.stdout).toContain("✓ Logged in to notes (default), scopes: notes:read");
    await expect
      .poll(() => readFileSync(join(s.home, "browser.log"), "utf8"), { timeout: 15_000 })
      .toContain("callback page: Login complete");

    const scopes = await runWard(["get", "notes", "--field", "scopes"], { env: s.env });
    expect(scopes.stdout.trim()).toBe("notes:read");
    const record = await runWard(["get", "notes"], { env: s.env });
    expect(record.stdout).toMatch(/access_token\s+eyJ\S*…\(\d+ characters\)/);
    const token = (await runWard(["get", "notes", "--field", "access_token"], { env: s.env })).stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString());
    expect(claims).toMatchObject({ iss: t.publicUrl, aud: AGENT_RESOURCE, client_id: "agent-cli", scope: "notes:read" });
    expect(readFileSync(join(s.home, "credentials.enc"), "utf8")).not.toContain(token);
  });

  it("a scope the resource does not declare: Ward refuses the authorization with invalid_scope, and the CLI shows it with the fix (exit 3)", async () => {
    const s = await withProvider();
    const login = await runWard(["login", "notes", "--scopes", "notes:read,notes:admin", "--timeout", "60"], {
      env: s.env,
      timeoutMs: 90_000,
    });
    expect(login.code).toBe(3);
    expect(login.stderr).toContain("✗ agent_authorization_denied: The provider answered the authorization request with invalid_scope");
    expect(login.stderr).toContain("notes:admin");
    expect(login.stderr).toContain("Fix: ");
  });

  it("Deny at consent: the login ends with the provider's access_denied and the fix", async () => {
    const s = await withProvider("deny");
    // notes:write was never consented to, so Ward shows the consent page (notes:read may be remembered).
    const login = await runWard(["login", "notes", "--scopes", "notes:write", "--timeout", "60"], { env: s.env, timeoutMs: 90_000 });
    expect(login.code, login.stderr).toBe(3);
    expect(login.stderr).toContain("✗ agent_authorization_denied: The provider answered the authorization request with access_denied");
    expect(login.stderr).toContain("Fix: ");
  });

  it("timeout: no callback in time ends with agent_login_timeout, the callback URL, the likely causes and --flow device_code (exit 5)", async () => {
    const s = await withProvider("none");
    const login = await runWard(["login", "notes", "--timeout", "3"], { env: s.env, timeoutMs: 60_000 });
    expect(login.code).toBe(5);
    expect(login.stderr).toContain(
      `✗ agent_login_timeout: No callback reached http://127.0.0.1:${s.port}/auth/callback/oauth within 3 seconds.`,
    );
    expect(login.stderr).toContain("NO_PROXY");
    expect(login.stderr).toContain("--flow device_code");
  });

  it("invalid_client: a wrong client secret ends with agent_client_rejected suggesting ward revoke then ward login; revoke clears the client", async () => {
    const s = await withProvider("allow", "agent-secret");
    const login = await runWard(["login", "notes", "--client-id", "agent-secret", "--client-secret-stdin", "--timeout", "60"], {
      env: s.env,
      input: "not-the-secret\n",
      timeoutMs: 90_000,
    });
    expect(login.code, login.stderr).toBe(3);
    expect(login.stderr).toContain(
      "✗ agent_client_rejected: The token endpoint of notes answered invalid_client for client_id agent-secret",
    );
    expect(login.stderr).toContain("Fix: Run `ward revoke <provider>` to clear the stored client and tokens, then `ward login <provider>`");
    expect(JSON.parse((await runWard(["--json", "inspect", "notes"], { env: s.env })).stdout)).toMatchObject({
      client_source: "configured",
    });
    const revoke = await runWard(["revoke", "notes"], { env: s.env });
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain("✓ Cleared notes's client and tokens");
    expect(JSON.parse((await runWard(["--json", "inspect", "notes"], { env: s.env })).stdout).client_source).toBeUndefined();
  });

  it("ward revoke revokes the refresh token at Ward (RFC 7009): it no longer refreshes", async () => {
    const s = await withProvider();
    const login = await runWard(["login", "notes", "--scopes", "notes:read,offline_access", "--timeout", "60"], {
      env: s.env,
      timeoutMs: 90_000,
    });
    expect(login.code, login.stderr).toBe(0);
    const refresh = (await runWard(["get", "notes", "--field", "refresh_token"], { env: s.env })).stdout.trim();
    expect(refresh.length).toBeGreaterThan(20);
    const revoke = await runWard(["revoke", "notes"], { env: s.env });
    expect(revoke.stdout).toContain("revoked at the provider: refresh_token: HTTP 200, access_token: HTTP 200");
    const reuse = await fetch(`${t.publicUrl}/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refresh, client_id: "agent-cli" }),
    });
    expect(((await reuse.json()) as { error: string }).error).toBe("invalid_grant");
  });
});
