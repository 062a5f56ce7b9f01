import type { Kysely } from "kysely";
import type { KeyStore } from "../keys/keystore.js";
import type { Database } from "../store/schema.js";

/** What the admin routes need: storage, the tenant, key management and the issuer policy. */
export interface AdminContext {
  db: Kysely<Database>;
  tenantId: string;
  keys: KeyStore;
  issuerIsLoopback: boolean;
  defaultAccessTokenTtl: number;
}
