import type { CompiledQuery, InferResult, Kysely, Selectable } from "kysely";
import { numberOrNull, toJson } from "./json.js";
import type { AuthorizationCodesTable, Database } from "./schema.js";
import { firstRowOnce, queryOnce } from "./sql-text.js";
import { TOKEN_USER_COLUMNS, type TokenUser, tokenUserFromColumns } from "./users.js";

export interface AuthorizationCodeRecord {
  code_hash: string;
  client_id: string;
  user_id: string;
  session_id: string | null;
  redirect_uri: string;
  scope: string;
  resource: string | null;
  code_challenge: string | null;
  nonce: string | null;
  auth_time: number;
  amr: string[];
  created_at: number;
  expires_at: number;
  used_at: number | null;
  family_id: string | null;
  /** RFC 9449 §10: the thumbprint the authorization request named; the token request must prove it. */
  dpop_jkt?: string | null;
}

function fromRow(row: Selectable<AuthorizationCodesTable>): AuthorizationCodeRecord {
  return {
    ...row,
    auth_time: Number(row.auth_time),
    amr: JSON.parse(row.amr) as string[],
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    used_at: numberOrNull(row.used_at),
  };
}

export async function insertAuthorizationCode(db: Kysely<Database>, tenantId: string, code: AuthorizationCodeRecord): Promise<void> {
  await db
    .insertInto("authorization_codes")
    .values({ tenant_id: tenantId, ...code, amr: toJson(code.amr), dpop_jkt: code.dpop_jkt ?? null })
    .execute();
}

export async function getAuthorizationCode(
  db: Kysely<Database>,
  tenantId: string,
  codeHash: string,
): Promise<AuthorizationCodeRecord | undefined> {
  const row = await db
    .selectFrom("authorization_codes")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("code_hash", "=", codeHash)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The code's columns and its user's (u_; null when the user was deleted). */
const codeAndUserQuery = (db: Kysely<Database>, tenantId: string, codeHash: string) =>
  db
    .selectFrom("authorization_codes as c")
    .leftJoin("users as u", (join) => join.onRef("u.tenant_id", "=", "c.tenant_id").onRef("u.id", "=", "c.user_id"))
    .selectAll("c")
    .select(TOKEN_USER_COLUMNS)
    .where("c.tenant_id", "=", tenantId)
    .where("c.code_hash", "=", codeHash);

/** A code and the user who approved it in one query (one round trip on PostgreSQL instead of two); user undefined when deleted. */
export async function getAuthorizationCodeAndUser(
  db: Kysely<Database>,
  tenantId: string,
  codeHash: string,
): Promise<{ code: AuthorizationCodeRecord; user: TokenUser | undefined } | undefined> {
  type Row = InferResult<ReturnType<typeof codeAndUserQuery>>[number];
  const compile = () => codeAndUserQuery(db, tenantId, codeHash).compile().sql;
  const row = await firstRowOnce<Row>(db, "authorization code and user", compile, [tenantId, codeHash]);
  if (!row) return undefined;
  const { u_id, u_email, u_name, u_disabled, ...codeColumns } = row;
  return { code: fromRow(codeColumns), user: tokenUserFromColumns({ u_id, u_email, u_name, u_disabled }) };
}

/**
 * Marks the code used and links the family it starts, only if nobody did before: a compare-and-set
 * guard, so of two concurrent redemptions exactly one changes the row.
 */
export function claimAuthorizationCodeQuery(
  db: Kysely<Database>,
  tenantId: string,
  codeHash: string,
  familyId: string,
  now: number,
): CompiledQuery {
  const compile = () =>
    db
      .updateTable("authorization_codes")
      .set({ used_at: now, family_id: familyId })
      .where("tenant_id", "=", tenantId)
      .where("code_hash", "=", codeHash)
      .where("used_at", "is", null)
      .compile().sql;
  return queryOnce(db, "claim authorization code", compile, [now, familyId, tenantId, codeHash]);
}

/** Removes codes that expired before `before` (used ones are kept until then to detect reuse). */
export async function deleteExpiredCodes(db: Kysely<Database>, tenantId: string, before: number): Promise<void> {
  await db.deleteFrom("authorization_codes").where("tenant_id", "=", tenantId).where("expires_at", "<", before).execute();
}
