import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { useTestWard } from "./support/admin.js";
import { type Json, json } from "./support/json.js";

const t = useTestWard();

async function rejectedFields(body: Record<string, unknown>): Promise<string[]> {
  const before = ((await json(await t.admin("/admin/v1/clients"))) as Json).clients.length;
  const response = await t.admin("/admin/v1/clients", { body });
  expect(response.status).toBe(400);
  const problem = await json(response);
  expect(problem.code).toBe("admin_invalid_body");
  expect(((await json(await t.admin("/admin/v1/clients"))) as Json).clients.length).toBe(before);
  return problem.fields.map((f: { field: string }) => f.field);
}

describe("RFC 8252 §8.6 / RFC 9700: consent cannot be skipped where another app can claim the redirect", () => {
  it("refuses skip_consent for a public client with a loopback redirect URI", async () => {
    expect(
      await rejectedFields({ token_endpoint_auth_method: "none", redirect_uris: ["http://127.0.0.1/cb"], skip_consent: true }),
    ).toEqual(["skip_consent"]);
  });

  it("refuses skip_consent for a public native client", async () => {
    expect(
      await rejectedFields({
        token_endpoint_auth_method: "none",
        application_type: "native",
        redirect_uris: ["https://app.example.com/cb"],
        skip_consent: true,
      }),
    ).toEqual(["skip_consent"]);
  });

  it("allows skip_consent for a public web client whose redirects are all https", async () => {
    const response = await t.admin("/admin/v1/clients", {
      body: { token_endpoint_auth_method: "none", redirect_uris: ["https://app.example.com/cb"], skip_consent: true },
    });
    expect(response.status).toBe(201);
  });
});

describe("RFC 8252 §7.1: private-use URI schemes are reverse domain names", () => {
  it("refuses a scheme without a period", async () => {
    expect(await rejectedFields({ application_type: "native", token_endpoint_auth_method: "none", redirect_uris: ["myapp:/cb"] })).toEqual([
      "redirect_uris.0",
    ]);
  });

  it("accepts com.example.app:/callback for a native client", async () => {
    const response = await t.admin("/admin/v1/clients", {
      body: { application_type: "native", token_endpoint_auth_method: "none", redirect_uris: ["com.example.app:/callback"] },
    });
    expect(response.status).toBe(201);
  });
});

describe("RFC 7591 §2 jwks: keys must be usable public keys", () => {
  it("refuses a JWK node cannot import", async () => {
    expect(
      await rejectedFields({
        token_endpoint_auth_method: "private_key_jwt",
        redirect_uris: ["https://app.example.com/cb"],
        jwks: { keys: [{ kty: "EC", crv: "P-256", x: "not-a-coordinate", y: 1 }] },
      }),
    ).toEqual(["jwks.keys.0"]);
  });

  it("accepts a real public key", async () => {
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    const response = await t.admin("/admin/v1/clients", {
      body: {
        token_endpoint_auth_method: "private_key_jwt",
        redirect_uris: ["https://app.example.com/cb"],
        jwks: { keys: [await exportJWK(publicKey)] },
      },
    });
    expect(response.status).toBe(201);
    expect((await json(response)).client_secret).toBeUndefined();
  });
});
