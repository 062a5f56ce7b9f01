import type { JWK } from "jose";
import type { Kysely, Selectable, Updateable } from "kysely";
import { fromJson, numberOrNull, toJson } from "./json.js";
import type { Database, SigningKeysTable } from "./schema.js";

export type SigningKeyState = "next" | "active" | "retired";

/**
 * A token signing key. `next` is published in the JWKS before it signs anything, `active` signs,
 * `retired` stays published until `publish_until` (the expiry of the last token it signed).
 */
export interface SigningKeyRecord {
  kid: string;
  alg: string;
  public_jwk: JWK;
  /** Sealed under the master key; null once retired. */
  private_jwk_encrypted: string | null;
  state: SigningKeyState;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
  publish_until: number | null;
}

/** Fields a state change may set. Retiring a key always wipes its private half. */
export type SigningKeyPatch = Partial<Omit<SigningKeyRecord, "kid" | "alg" | "public_jwk" | "created_at">>;

function fromRow(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    public_jwk: fromJson<JWK>(row.public_jwk) as JWK,
    private_jwk_encrypted: row.private_jwk_encrypted,
    state: row.state,
    created_at: Number(row.created_at),
    activated_at: numberOrNull(row.activated_at),
    retired_at: numberOrNull(row.retired_at),
    publish_until: numberOrNull(row.publish_until),
  };
}

export async function insertSigningKey(db: Kysely<Database>, tenantId: string, key: SigningKeyRecord): Promise<void> {
  await db
    .insertInto("signing_keys")
    .values({
      tenant_id: tenantId,
      kid: key.kid,
      alg: key.alg,
      public_jwk: toJson(key.public_jwk),
      private_jwk_encrypted: key.state === "retired" ? null : key.private_jwk_encrypted,
      state: key.state,
      created_at: key.created_at,
      activated_at: key.activated_at,
      retired_at: key.retired_at,
      publish_until: key.publish_until,
    })
    .execute();
}

/** Every key of the tenant, whatever its state, oldest first. */
export async function listSigningKeys(db: Kysely<Database>, tenantId: string): Promise<SigningKeyRecord[]> {
  const rows = await db
    .selectFrom("signing_keys")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("created_at")
    .orderBy("kid")
    .execute();
  return rows.map(fromRow);
}

/**
 * Updates a key. With `expectedState`, only while the key is still in that state: a compare-and-set
 * in one UPDATE, so of two racing rotations (instances, or requests) exactly one promotes. True when
 * a row changed.
 *
 * @example
 * const promoted = await updateSigningKey(trx, tenantId, next.kid, { state: "active", activated_at: now }, "next");
 * if (!promoted) throw new WardError("key_rotation_conflict", { kid: next.kid });
 */
export async function updateSigningKey(
  db: Kysely<Database>,
  tenantId: string,
  kid: string,
  patch: SigningKeyPatch,
  expectedState?: SigningKeyState,
): Promise<boolean> {
  const columns: Updateable<SigningKeysTable> = {};
  if (patch.state !== undefined) columns.state = patch.state;
  if (patch.private_jwk_encrypted !== undefined) columns.private_jwk_encrypted = patch.private_jwk_encrypted;
  if (patch.activated_at !== undefined) columns.activated_at = patch.activated_at;
  if (patch.retired_at !== undefined) columns.retired_at = patch.retired_at;
  if (patch.publish_until !== undefined) columns.publish_until = patch.publish_until;
  if (patch.state === "retired") columns.private_jwk_encrypted = null;
  let query = db.updateTable("signing_keys").where("tenant_id", "=", tenantId).where("kid", "=", kid);
  if (expectedState) query = query.where("state", "=", expectedState);
  // An empty patch still reports whether the (guarded) row exists: set a column to itself.
  const result = await (Object.keys(columns).length > 0
    ? query.set(columns)
    : query.set((eb) => ({ kid: eb.ref("kid") }))
  ).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** True when a key was deleted. */
export async function deleteSigningKey(db: Kysely<Database>, tenantId: string, kid: string): Promise<boolean> {
  const result = await db.deleteFrom("signing_keys").where("tenant_id", "=", tenantId).where("kid", "=", kid).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
