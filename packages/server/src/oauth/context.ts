import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { WardConfig } from "../config/spec.js";
import type { KeyStore } from "../keys/keystore.js";
import type { GuardedWrites } from "../store/guarded-writes.js";
import type { IssuedTokenLog } from "../store/issued-token-log.js";
import type { RecordCaches } from "../store/record-cache.js";
import type { Database } from "../store/schema.js";
import type { ClientKeyCache } from "./client-jwks.js";
import type { ClientMetadataDocuments } from "./client-metadata-document.js";

/** The URLs of the public endpoints, as advertised in discovery. */
export interface EndpointUrls {
  authorization: string;
  token: string;
  userinfo: string;
  revocation: string;
  introspection: string;
  end_session: string;
  jwks: string;
  account: string;
  pushed_authorization_request: string;
  device_authorization: string;
  /** The page where the user enters a device's code (RFC 8628 verification_uri). */
  device: string;
  registration: string;
}

/** Everything the public (OAuth / OIDC / hosted page) endpoints need. */
export interface ServerContext {
  db: Kysely<Database>;
  tenantId: string;
  config: WardConfig;
  issuer: string;
  errorsBaseUrl: string;
  endpoints: EndpointUrls;
  keys: KeyStore;
  /** Seals TOTP secrets and grace-period token responses at rest. */
  masterKey: Buffer;
  /** HMAC key of CSRF tokens. */
  sessionSecret: Buffer;
  /** False only on a loopback issuer (http://127.0.0.1 has no TLS). */
  secureCookies: boolean;
  /** Keys of private_key_jwt clients registered by jwks_uri. */
  clientKeys: ClientKeyCache;
  /** Client ID metadata documents fetched for URL client_ids (registration.client_id_metadata_documents). */
  clientMetadataDocuments: ClientMetadataDocuments;
  /** Clients and resources kept for database.record_cache_ttl; writers here forget what they change. */
  records: RecordCaches;
  /** Writes standalone access-token rows and their audit events, batched per event-loop turn. */
  issuedTokens: IssuedTokenLog;
  /** Applies the guarded token writes of the code, device code and refresh grants (batched per event-loop turn on SQLite). */
  guardedWrites: GuardedWrites;
  logger: Logger;
  now: () => number;
}

export function endpointUrls(issuer: string): EndpointUrls {
  return {
    authorization: `${issuer}/authorize`,
    token: `${issuer}/token`,
    userinfo: `${issuer}/userinfo`,
    revocation: `${issuer}/revoke`,
    introspection: `${issuer}/introspect`,
    end_session: `${issuer}/end_session`,
    jwks: `${issuer}/jwks.json`,
    account: `${issuer}/account`,
    pushed_authorization_request: `${issuer}/par`,
    device_authorization: `${issuer}/device_authorization`,
    device: `${issuer}/device`,
    registration: `${issuer}/register`,
  };
}
