import type { Migration } from "kysely";
import * as initial from "./0001_initial.js";
import * as clientSecretExpiry from "./0002_client_secret_expiry.js";
import * as oneActiveSigningKey from "./0003_one_active_signing_key.js";
import * as authorization from "./0004_authorization.js";
import * as registration from "./0005_registration.js";
import * as deviceCodes from "./0006_device_codes.js";
import * as dpop from "./0007_dpop.js";
import * as trust from "./0008_trust.js";
import * as pushedRequests from "./0009_pushed_requests.js";
import * as expiryIndexes from "./0010_expiry_indexes.js";

/**
 * Every migration, in order (Kysely sorts the names, so keep the `NNNN_` prefix). In code, not
 * scanned from disk, so they work from dist/ and from bundles. See ../SCHEMA.md before adding one;
 * never edit a migration that has shipped.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_initial": initial,
  "0002_client_secret_expiry": clientSecretExpiry,
  "0003_one_active_signing_key": oneActiveSigningKey,
  "0004_authorization": authorization,
  "0005_registration": registration,
  "0006_device_codes": deviceCodes,
  "0007_dpop": dpop,
  "0008_trust": trust,
  "0009_pushed_requests": pushedRequests,
  "0010_expiry_indexes": expiryIndexes,
};
