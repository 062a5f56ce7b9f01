import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import { revokeFamilies } from "./tokens.js";

/** Revokes the client's live token families (their refresh and access tokens); the number revoked. */
export async function revokeClientFamilies(
  db: Kysely<Database>,
  tenantId: string,
  clientId: string,
  reason: string,
  now: number,
): Promise<number> {
  const families = await db
    .selectFrom("token_families")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("client_id", "=", clientId)
    .where("revoked_at", "is", null)
    .execute();
  const revoked = await revokeFamilies(
    db,
    tenantId,
    families.map((row) => row.id),
    reason,
    now,
  );
  return revoked.length;
}

/**
 * A confidential client turning public (token_endpoint_auth_method to none): the refresh tokens it
 * got while authenticating would work with its client_id alone (they are not DPoP-bound, RFC 9449
 * §5 binds only public clients'), so they are revoked. Returns the number of families revoked.
 */
export async function revokeWhenTurnedPublic(
  db: Kysely<Database>,
  tenantId: string,
  change: { client_id: string; before: string; after: string },
  now: number,
): Promise<number> {
  if (change.before === "none" || change.after !== "none") return 0;
  return revokeClientFamilies(db, tenantId, change.client_id, "client became public (token_endpoint_auth_method none)", now);
}

/**
 * What a deleted client leaves behind, made unusable (RFC 7592 §2.3: the server SHOULD invalidate
 * every grant and token of a deleted client): its token families (refresh tokens and the access
 * tokens they issued), its access tokens without a family (client_credentials, JWT bearer), and the
 * consents users gave it (a client later created under the same client_id must ask again). Returns
 * the number of families revoked.
 */
export async function revokeEverythingOfClient(
  db: Kysely<Database>,
  tenantId: string,
  clientId: string,
  reason: string,
  now: number,
): Promise<number> {
  const revoked = await revokeClientFamilies(db, tenantId, clientId, reason, now);
  await db
    .updateTable("access_tokens")
    .set({ revoked_at: now })
    .where("tenant_id", "=", tenantId)
    .where("client_id", "=", clientId)
    .where("revoked_at", "is", null)
    .execute();
  await db.deleteFrom("consents").where("tenant_id", "=", tenantId).where("client_id", "=", clientId).execute();
  return revoked;
}
