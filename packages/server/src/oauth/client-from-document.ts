import { WardError } from "@ward/core";
import { clientConsistencyProblems, defaultResponseTypes } from "../admin/client-schema.js";
import { newClientRecord } from "../admin/clients.js";
import { fieldProblems } from "../admin/validation.js";
import { registrationSchema } from "../registration/metadata.js";
import type { ClientRecord } from "../store/clients.js";

const DOCUMENT_GRANTS = ["authorization_code", "refresh_token"];
const DOCUMENT_AUTH_METHODS = ["none", "private_key_jwt"];

/** Checks a fetched document and turns it into the client it describes (public or private_key_jwt; never consent-skipping). */
export function clientFromDocument(url: string, text: string, issuerIsLoopback: boolean, now: number): ClientRecord {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new WardError("client_metadata_document_not_json", { url, reason: (error as Error).message });
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new WardError("client_metadata_document_not_json", {
      url,
      reason: `it is ${Array.isArray(document) ? "an array" : String(document)}`,
    });
  }
  const raw = document as Record<string, unknown>;
  if (raw.client_id !== url) {
    throw new WardError("client_metadata_document_client_id_mismatch", {
      url,
      received: raw.client_id === undefined ? "missing" : JSON.stringify(raw.client_id).slice(0, 300),
    });
  }
  const invalid = (reason: string) => new WardError("client_metadata_document_invalid", { url, reason });
  for (const field of ["client_secret", "client_secret_expires_at"]) {
    if (Object.hasOwn(raw, field)) throw invalid(`it has ${field}, but a public document cannot carry a secret: remove it`);
  }
  const method = raw.token_endpoint_auth_method ?? "none";
  if (typeof method !== "string" || !DOCUMENT_AUTH_METHODS.includes(method)) {
    throw new WardError("client_metadata_document_auth_method_not_allowed", { url, received: JSON.stringify(method).slice(0, 100) });
  }
  const parsed = registrationSchema.safeParse({ ...raw, token_endpoint_auth_method: method });
  if (!parsed.success) {
    throw invalid(
      fieldProblems(document, parsed.error.issues)
        .map((p) => `${p.field}: received ${p.received}, expected ${p.expected}`)
        .join("; "),
    );
  }
  const input = parsed.data;
  if (input.redirect_uris.length === 0) throw invalid("redirect_uris is missing or empty; expected the client's redirect URIs");
  const refusedGrants = input.grant_types.filter((grant) => !DOCUMENT_GRANTS.includes(grant));
  if (refusedGrants.length > 0) {
    throw invalid(`grant_types includes ${refusedGrants.join(", ")}; expected only ${DOCUMENT_GRANTS.join(" and ")}`);
  }
  const metadata = {
    ...input,
    response_types: input.response_types ?? defaultResponseTypes(input.grant_types),
    skip_consent: false,
  };
  const problems = clientConsistencyProblems(metadata, issuerIsLoopback);
  if (problems.length > 0) throw invalid(problems.map((p) => `${p.field}: received ${p.received}, expected ${p.expected}`).join("; "));
  return newClientRecord(url, metadata, null, now);
}
