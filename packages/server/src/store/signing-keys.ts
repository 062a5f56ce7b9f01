import type { JWK } from "jose";
import type { Kysely, Selectable } from "kysely";
import { fromJson, toJson } from "./json.js";
import type { Database, SigningKeysTable } from "./schema.js";

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  public_jwk: JWK;
  private_jwk_encrypted: string | null;
  state: "next" | "active" | "retired";
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
  publish_until: number | null;
}

export type SigningKeyPatch = Partial<Omit<SigningKeyRecord, "kid" | "alg" | "public_jwk" | "created_at">>;

const num = (value: number | null) => (value === null ? null : Number(value));

function fromRow(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    public_jwk: fromJson<JWK>(row.public_jwk) as JWK,
    private_jwk_encrypted: row.private_jwk_encrypted,
    state: row.state,
    created_at: Number(row.created_at),
    activated_at: num(row.activated_at),
    retired_at: num(row.retired_at),
    publish_until: num(row.publish_until),
  };
}

export async function insertSigningKey(db: Kysely<Database>, tenantId: string, key: SigningKeyRecord): Promise<void> {
  await db
    .insertInto("signing_keys")
    .values({ tenant_id: tenantId, ...key, public_jwk: toJson(key.public_jwk) })
    .execute();
}

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
 * Updates a key; with `expectedState` only when the key is still in that state (a compare-and-set,
 * so two racing rotations cannot both promote). True when a row changed.
 */
export async function updateSigningKey(
  db: Kysely<Database>,
  tenantId: string,
  kid: string,
  patch: SigningKeyPatch,
  expectedState?: SigningKeyRecord["state"],
): Promise<boolean> {
  let query = db.updateTable("signing_keys").set(patch).where("tenant_id", "=", tenantId).where("kid", "=", kid);
  if (expectedState) query = query.where("state", "=", expectedState);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteSigningKey(db: Kysely<Database>, tenantId: string, kid: string): Promise<boolean> {
  const result = await db.deleteFrom("signing_keys").where("tenant_id", "=", tenantId).where("kid", "=", kid).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
