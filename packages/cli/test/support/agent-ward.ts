import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { USER } from "../../../server/test/support/flow.js";
import { startTestWard, type TestWard } from "../../../server/test/support/ward.js";

export const AGENT_RESOURCE = "https://api.example.test/notes";
const BROWSER_SCRIPT = fileURLToPath(new URL("./browser-login.mjs", import.meta.url));

/** A live Ward with a user, a resource (notes:read, notes:write) and the agent's public native client `agent-cli`. */
export async function wardForAgent(
  overrides: Parameters<typeof startTestWard>[0] = {},
  options: Parameters<typeof startTestWard>[1] = {},
): Promise<TestWard> {
  const t = await startTestWard(overrides, options);
  const created = async (path: string, body: unknown) => {
    const response = await t.admin(path, { body });
    expect(response.status, await response.clone().text()).toBe(201);
  };
  await created("/admin/v1/users", USER);
  await created("/admin/v1/resources", {
    uri: AGENT_RESOURCE,
    scopes: [
      { name: "notes:read", description: "Read your notes" },
      { name: "notes:write", description: "Change your notes" },
    ],
  });
  await created("/admin/v1/clients", {
    client_id: "agent-cli",
    client_name: "Ward agent CLI",
    redirect_uris: ["http://127.0.0.1:7998/auth/callback/oauth"],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "none",
    application_type: "native",
  });
  await created("/admin/v1/clients", {
    client_id: "agent-secret",
    client_name: "Ward agent CLI (confidential)",
    redirect_uris: ["http://127.0.0.1:7998/auth/callback/oauth"],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "client_secret_basic",
    application_type: "native",
  });
  return t;
}

/** An executable $BROWSER (a shell script running the chromium driver) in `dir`, and the env it reads. */
export function browserEnv(dir: string, consent: "allow" | "deny" | "none" = "allow"): Record<string, string> {
  const path = join(dir, "browser.sh");
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${BROWSER_SCRIPT}" "$@"\n`);
  chmodSync(path, 0o755);
  return {
    BROWSER: path,
    WARD_TEST_EMAIL: USER.email,
    WARD_TEST_PASSWORD: USER.password,
    WARD_TEST_CONSENT: consent,
    WARD_TEST_BROWSER_LOG: join(dir, "browser.log"),
  };
}
