import * as oauth from "oauth4webapi";
import * as client from "openid-client";
import { describe, expect, it } from "vitest";
import { GRANT_TYPES } from "../src/admin/client-schema.js";
import { allKeys } from "../src/config/spec.js";
import { useTestWard } from "./support/admin.js";
import type { TestWard } from "./support/ward.js";

/**
 * RFC 8414 / OpenID Connect Discovery: the metadata advertises exactly what this configuration
 * serves. Run with the defaults and with every boolean configuration switch turned on, so a
 * feature's fields must follow its switch.
 */

/** Every boolean key on (grants.*, par.required, …): what `ward dev`-style exploration enables. */
function everySwitchOn(): Record<string, Record<string, boolean>> {
  const overrides: Record<string, Record<string, boolean>> = {};
  for (const [section, key, spec] of allKeys()) {
    if (spec.env === "boolean") overrides[section] = { ...overrides[section], [key]: true };
  }
  return overrides;
}

/** Grant types /token is asked about: every one a client may register, plus ones Ward never serves. */
const CANDIDATE_GRANTS = [...new Set([...GRANT_TYPES, "password", "implicit", "urn:ietf:params:oauth:grant-type:saml2-bearer"])];

/** Names registered in the IANA "OAuth Authorization Server Metadata" registry (RFC 8414 §7.1) that Ward may use. */
const REGISTERED_NAMES = new Set([
  "issuer",
  "authorization_endpoint",
  "token_endpoint",
  "jwks_uri",
  "registration_endpoint",
  "scopes_supported",
  "response_types_supported",
  "response_modes_supported",
  "grant_types_supported",
  "token_endpoint_auth_methods_supported",
  "token_endpoint_auth_signing_alg_values_supported",
  "service_documentation",
  "ui_locales_supported",
  "op_policy_uri",
  "op_tos_uri",
  "revocation_endpoint",
  "revocation_endpoint_auth_methods_supported",
  "revocation_endpoint_auth_signing_alg_values_supported",
  "introspection_endpoint",
  "introspection_endpoint_auth_methods_supported",
  "introspection_endpoint_auth_signing_alg_values_supported",
  "code_challenge_methods_supported",
  "signed_metadata",
  "device_authorization_endpoint",
  "tls_client_certificate_bound_access_tokens",
  "mtls_endpoint_aliases",
  "userinfo_endpoint",
  "acr_values_supported",
  "subject_types_supported",
  "id_token_signing_alg_values_supported",
  "id_token_encryption_alg_values_supported",
  "id_token_encryption_enc_values_supported",
  "userinfo_signing_alg_values_supported",
  "request_object_signing_alg_values_supported",
  "display_values_supported",
  "claim_types_supported",
  "claims_supported",
  "claims_locales_supported",
  "claims_parameter_supported",
  "request_parameter_supported",
  "request_uri_parameter_supported",
  "require_request_uri_registration",
  "require_signed_request_object",
  "pushed_authorization_request_endpoint",
  "require_pushed_authorization_requests",
  "authorization_response_iss_parameter_supported",
  "dpop_signing_alg_values_supported",
  "end_session_endpoint",
  "check_session_iframe",
  "frontchannel_logout_supported",
  "backchannel_logout_supported",
  "prompt_values_supported",
  "client_id_metadata_document_supported",
  "protected_resources",
  "authorization_details_types_supported",
]);

const metadataOf = async (t: TestWard) => {
  const response = await fetch(`${t.publicUrl}/.well-known/openid-configuration`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

/** The grant types /token accepts now: those it does not refuse as unsupported or disabled. */
async function acceptedGrants(t: TestWard): Promise<string[]> {
  const accepted: string[] = [];
  for (const grant of CANDIDATE_GRANTS) {
    const response = await fetch(`${t.publicUrl}/token`, { method: "POST", body: new URLSearchParams({ grant_type: grant }) });
    const body = (await response.json()) as { code: string };
    if (!["grant_type_unsupported", "grant_type_disabled"].includes(body.code)) accepted.push(grant);
  }
  return accepted;
}

const configurations: [string, Parameters<typeof useTestWard>[0]][] = [
  ["the defaults (ward server)", {}],
  ["every boolean switch on", everySwitchOn()],
];

for (const [name, overrides] of configurations) {
  describe(`discovery with ${name}`, () => {
    const t = useTestWard(overrides);

    it("uses only registered metadata names", async () => {
      const unregistered = Object.keys(await metadataOf(t)).filter((field) => !REGISTERED_NAMES.has(field));
      expect(unregistered).toEqual([]);
    });

    it("lists only endpoints that answer: every *_endpoint, jwks_uri and service_documentation on the issuer is not 404", async () => {
      const metadata = await metadataOf(t);
      const urls = Object.entries(metadata).filter(
        ([field]) => field.endsWith("_endpoint") || field === "jwks_uri" || field === "service_documentation",
      );
      expect(urls.length).toBeGreaterThanOrEqual(8);
      for (const [field, value] of urls) {
        expect(String(value).startsWith(`${t.publicUrl}/`), `${field} ${value}`).toBe(true);
        const response = await fetch(String(value), { redirect: "manual" });
        expect(response.status, `${field} ${value}`).not.toBe(404);
      }
      for (const [path, field] of [
        ["/par", "pushed_authorization_request_endpoint"],
        ["/token", "token_endpoint"],
        ["/revoke", "revocation_endpoint"],
        ["/introspect", "introspection_endpoint"],
      ]) {
        expect(metadata[field as string], `${path} is served, so ${field} is listed`).toBe(`${t.publicUrl}${path}`);
      }
    });

    it("lists in grant_types_supported exactly the grant types /token accepts with this configuration", async () => {
      const metadata = await metadataOf(t);
      expect([...(metadata.grant_types_supported as string[])].sort()).toEqual((await acceptedGrants(t)).sort());
      expect((metadata.grant_types_supported as string[]).includes("client_credentials")).toBe(t.ward.config.grants.client_credentials);
    });

    it("advertises PAR (RFC 9126 §5): the endpoint, request_uri support, and require_pushed_authorization_requests = par.required", async () => {
      const metadata = await metadataOf(t);
      expect(metadata.pushed_authorization_request_endpoint).toBe(`${t.publicUrl}/par`);
      expect(metadata.request_uri_parameter_supported).toBe(true);
      expect(metadata.require_pushed_authorization_requests).toBe(t.ward.config.par.required);
    });

    it("lists the OpenID scopes only (resource scopes are in each resource's RFC 9728 metadata)", async () => {
      expect((await metadataOf(t)).scopes_supported).toEqual(["openid", "profile", "email", "offline_access"]);
    });

    it("is accepted by oauth4webapi's processDiscoveryResponse and openid-client's discovery, at both well-known paths", async () => {
      const issuer = new URL(t.publicUrl);
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }),
      );
      const oidc = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: "oidc", [oauth.allowInsecureRequests]: true }),
      );
      expect(as).toEqual(oidc);
      expect(as.pushed_authorization_request_endpoint).toBe(`${t.publicUrl}/par`);
      const configuration = await client.discovery(issuer, "some-client", undefined, undefined, {
        execute: [client.allowInsecureRequests],
      });
      expect(configuration.serverMetadata().issuer).toBe(t.publicUrl);
      expect(configuration.serverMetadata().grant_types_supported).toEqual(as.grant_types_supported);
    });
  });
}
