import { WardError } from "@ward/core";
import type { Kysely, Selectable } from "kysely";
import { guardUnique } from "./errors.js";
import { fromJson, toJson } from "./json.js";
import type { Database, TrustedIssuersTable } from "./schema.js";

export type SubjectMapping = TrustedIssuersTable["subject_mapping"];

/** An issuer whose signed JWT assertions the jwt-bearer grant accepts (RFC 7523, ID-JAG). */
export interface TrustedIssuerRecord {
  id: string;
  issuer: string;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwks_uri: string | null;
  /** Clients that may redeem this issuer's assertions. */
  client_ids: string[];
  /** Resource URIs tokens may be issued for on this issuer's assertions. */
  resources: string[];
  subject_mapping: SubjectMapping;
  created_at: number;
}

function fromRow(row: Selectable<TrustedIssuersTable>): TrustedIssuerRecord {
  return {
    id: row.id,
    issuer: row.issuer,
    jwks: fromJson(row.jwks),
    jwks_uri: row.jwks_uri,
    client_ids: fromJson<string[]>(row.client_ids) ?? [],
    resources: fromJson<string[]>(row.resources) ?? [],
    subject_mapping: row.subject_mapping,
    created_at: Number(row.created_at),
  };
}

/** Stores a trusted issuer; an issuer already registered is `trusted_issuer_taken` and writes nothing. */
export async function insertTrustedIssuer(db: Kysely<Database>, tenantId: string, record: TrustedIssuerRecord): Promise<void> {
  await guardUnique(
    db,
    () =>
      db
        .insertInto("trusted_issuers")
        .values({
          tenant_id: tenantId,
          id: record.id,
          issuer: record.issuer,
          jwks: record.jwks === null ? null : toJson(record.jwks),
          jwks_uri: record.jwks_uri,
          client_ids: toJson(record.client_ids),
          resources: toJson(record.resources),
          subject_mapping: record.subject_mapping,
          created_at: record.created_at,
        })
        .execute(),
    async () => {
      const holder = await getTrustedIssuerByIssuer(db, tenantId, record.issuer);
      return holder
        ? new WardError("trusted_issuer_taken", { issuer: record.issuer, id: holder.id })
        : new Error(`trusted issuer id ${record.id} already exists in tenant ${tenantId}`);
    },
  );
}

export async function getTrustedIssuer(db: Kysely<Database>, tenantId: string, id: string): Promise<TrustedIssuerRecord | undefined> {
  const row = await db.selectFrom("trusted_issuers").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The trusted issuer registered for exactly this `iss` (byte for byte). */
export async function getTrustedIssuerByIssuer(
  db: Kysely<Database>,
  tenantId: string,
  issuer: string,
): Promise<TrustedIssuerRecord | undefined> {
  const row = await db
    .selectFrom("trusted_issuers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("issuer", "=", issuer)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function listTrustedIssuers(db: Kysely<Database>, tenantId: string): Promise<TrustedIssuerRecord[]> {
  const rows = await db
    .selectFrom("trusted_issuers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(fromRow);
}

export async function deleteTrustedIssuer(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom("trusted_issuers").where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
