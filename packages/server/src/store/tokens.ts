import type { CompiledQuery, InferResult, Insertable, Kysely, Selectable } from "kysely";
import { numberOrNull, toJson } from "./json.js";
import { insertRowQuery } from "./row-insert.js";
import type { AccessTokensTable, Database, RefreshTokensTable, TokenFamiliesTable } from "./schema.js";
import { firstRowOnce, queryOnce } from "./sql-text.js";
import { TOKEN_USER_COLUMNS, type TokenUser, tokenUserFromColumns } from "./users.js";

export interface TokenFamilyRecord {
  id: string;
  client_id: string;
  user_id: string | null;
  session_id: string | null;
  scope: string;
  resource: string | null;
  auth_time: number | null;
  amr: string[];
  created_at: number;
  expires_at: number;
  last_used_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  /** The DPoP key a public client's refresh tokens are bound to (RFC 9449 §5); null: not bound. */
  dpop_jkt?: string | null;
}

export interface RefreshTokenRecord {
  token_hash: string;
  family_id: string;
  scope: string;
  created_at: number;
  spent_at: number | null;
  successor_sealed: string | null;
}

function familyFromRow(row: Selectable<TokenFamiliesTable>): TokenFamilyRecord {
  return {
    ...row,
    auth_time: numberOrNull(row.auth_time),
    amr: JSON.parse(row.amr) as string[],
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    last_used_at: Number(row.last_used_at),
    revoked_at: numberOrNull(row.revoked_at),
  };
}

function refreshFromRow(row: Selectable<RefreshTokensTable>): RefreshTokenRecord {
  return { ...row, created_at: Number(row.created_at), spent_at: numberOrNull(row.spent_at) };
}

/** Compiled, not run: the functions ending in Query build statements for a GuardedWrite (guarded-writes.ts). */
export function insertTokenFamilyQuery(db: Kysely<Database>, tenantId: string, family: TokenFamilyRecord): CompiledQuery {
  return insertRowQuery(db, "token_families", {
    tenant_id: tenantId,
    ...family,
    amr: toJson(family.amr),
    dpop_jkt: family.dpop_jkt ?? null,
  });
}

export function touchTokenFamilyQuery(db: Kysely<Database>, tenantId: string, id: string, now: number): CompiledQuery {
  const compile = () =>
    db.updateTable("token_families").set({ last_used_at: now }).where("tenant_id", "=", tenantId).where("id", "=", id).compile().sql;
  return queryOnce(db, "touch token family", compile, [now, tenantId, id]);
}

/** The live (unrevoked, unexpired) families of a user, newest use first. */
export async function listUserFamilies(db: Kysely<Database>, tenantId: string, userId: string, now: number): Promise<TokenFamilyRecord[]> {
  const rows = await db
    .selectFrom("token_families")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .orderBy("last_used_at", "desc")
    .execute();
  return rows.map(familyFromRow);
}

/**
 * Revokes the families (unless already revoked) and every access token they issued; returns the ids
 * this call revoked.
 */
export async function revokeFamilies(
  db: Kysely<Database>,
  tenantId: string,
  familyIds: readonly string[],
  reason: string,
  now: number,
): Promise<string[]> {
  if (familyIds.length === 0) return [];
  const live = await db
    .selectFrom("token_families")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "in", familyIds)
    .where("revoked_at", "is", null)
    .execute();
  const ids = live.map((row) => row.id);
  if (ids.length === 0) return [];
  await db
    .updateTable("token_families")
    .set({ revoked_at: now, revoked_reason: reason })
    .where("tenant_id", "=", tenantId)
    .where("id", "in", ids)
    .execute();
  await db
    .updateTable("access_tokens")
    .set({ revoked_at: now })
    .where("tenant_id", "=", tenantId)
    .where("family_id", "in", ids)
    .where("revoked_at", "is", null)
    .execute();
  await db
    .updateTable("refresh_tokens")
    .set({ successor_sealed: null })
    .where("tenant_id", "=", tenantId)
    .where("family_id", "in", ids)
    .execute();
  return ids;
}

/** The family ids of a user's grants to a client (for "revoke this app"). */
export async function familyIdsOfUserClient(db: Kysely<Database>, tenantId: string, userId: string, clientId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("token_families")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .where("client_id", "=", clientId)
    .where("revoked_at", "is", null)
    .execute();
  return rows.map((row) => row.id);
}

export function insertRefreshTokenQuery(db: Kysely<Database>, tenantId: string, token: RefreshTokenRecord): CompiledQuery {
  return insertRowQuery(db, "refresh_tokens", { tenant_id: tenantId, ...token });
}

export async function getRefreshToken(db: Kysely<Database>, tenantId: string, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
  const row = await db
    .selectFrom("refresh_tokens")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("token_hash", "=", tokenHash)
    .executeTakeFirst();
  return row ? refreshFromRow(row) : undefined;
}

/** The refresh token (columns prefixed rt_), its family's columns and its user's (u_); null where a row is missing. */
const refreshTokenGrantQuery = (db: Kysely<Database>, tenantId: string, tokenHash: string) =>
  db
    .selectFrom("refresh_tokens as rt")
    .leftJoin("token_families as f", (join) => join.onRef("f.tenant_id", "=", "rt.tenant_id").onRef("f.id", "=", "rt.family_id"))
    .leftJoin("users as u", (join) => join.onRef("u.tenant_id", "=", "f.tenant_id").onRef("u.id", "=", "f.user_id"))
    .selectAll("f")
    .select([
      "rt.token_hash as rt_token_hash",
      "rt.family_id as rt_family_id",
      "rt.scope as rt_scope",
      "rt.created_at as rt_created_at",
      "rt.spent_at as rt_spent_at",
      "rt.successor_sealed as rt_successor_sealed",
      ...TOKEN_USER_COLUMNS,
    ])
    .where("rt.tenant_id", "=", tenantId)
    .where("rt.token_hash", "=", tokenHash);

/**
 * A refresh token with its family and the family's user in one query (one round trip on
 * PostgreSQL instead of three): the family is undefined when its row is missing, the user when
 * the family has none or the user was deleted.
 */
export async function getRefreshTokenGrant(
  db: Kysely<Database>,
  tenantId: string,
  tokenHash: string,
): Promise<{ refresh: RefreshTokenRecord; family: TokenFamilyRecord | undefined; user: TokenUser | undefined } | undefined> {
  type Row = InferResult<ReturnType<typeof refreshTokenGrantQuery>>[number];
  const compile = () => refreshTokenGrantQuery(db, tenantId, tokenHash).compile().sql;
  const row = await firstRowOnce<Row>(db, "refresh token grant", compile, [tenantId, tokenHash]);
  if (!row) return undefined;
  const {
    rt_token_hash,
    rt_family_id,
    rt_scope,
    rt_created_at,
    rt_spent_at,
    rt_successor_sealed,
    u_id,
    u_email,
    u_name,
    u_disabled,
    ...familyColumns
  } = row;
  const refresh = refreshFromRow({
    tenant_id: tenantId,
    token_hash: rt_token_hash,
    family_id: rt_family_id,
    scope: rt_scope,
    created_at: rt_created_at,
    spent_at: rt_spent_at,
    successor_sealed: rt_successor_sealed,
  });
  const family = familyColumns.id === null ? undefined : familyFromRow(familyColumns as Selectable<TokenFamiliesTable>);
  return { refresh, family, user: tokenUserFromColumns({ u_id, u_email, u_name, u_disabled }) };
}

/** Marks the token spent: a compare-and-set guard (one row changed only for the one caller that spent it). */
export function spendRefreshTokenQuery(
  db: Kysely<Database>,
  tenantId: string,
  tokenHash: string,
  now: number,
  successorSealed: string | null,
): CompiledQuery {
  const compile = () =>
    db
      .updateTable("refresh_tokens")
      .set({ spent_at: now, successor_sealed: successorSealed })
      .where("tenant_id", "=", tenantId)
      .where("token_hash", "=", tokenHash)
      .where("spent_at", "is", null)
      .compile().sql;
  return queryOnce(db, "spend refresh token", compile, [now, successorSealed, tenantId, tokenHash]);
}

/** What is stored of an issued access token (introspection and revocation read it). */
export interface IssuedAccessToken {
  jti: string;
  family_id: string | null;
  client_id: string;
  expires_at: number;
}

/** The access_tokens row of an issued token, written out field by field (V8 promoted object-spread copies to the old generation under load). */
export function accessTokenRow(tenantId: string, token: IssuedAccessToken): Insertable<AccessTokensTable> {
  const { jti, family_id, client_id, expires_at } = token;
  return { tenant_id: tenantId, jti, family_id, client_id, expires_at, revoked_at: null };
}

export function recordAccessTokenQuery(db: Kysely<Database>, tenantId: string, token: IssuedAccessToken): CompiledQuery {
  return insertRowQuery(db, "access_tokens", accessTokenRow(tenantId, token));
}

export async function getAccessTokenState(
  db: Kysely<Database>,
  tenantId: string,
  jti: string,
): Promise<{ family_id: string | null; client_id: string; revoked_at: number | null } | undefined> {
  const row = await db
    .selectFrom("access_tokens")
    .select(["family_id", "client_id", "revoked_at"])
    .where("tenant_id", "=", tenantId)
    .where("jti", "=", jti)
    .executeTakeFirst();
  return row ? { ...row, revoked_at: numberOrNull(row.revoked_at) } : undefined;
}

export async function revokeAccessToken(db: Kysely<Database>, tenantId: string, jti: string, now: number): Promise<void> {
  await db
    .updateTable("access_tokens")
    .set({ revoked_at: now })
    .where("tenant_id", "=", tenantId)
    .where("jti", "=", jti)
    .where("revoked_at", "is", null)
    .execute();
}

/** Drops what can no longer be used: expired access token rows, expired families and their refresh tokens. */
export async function deleteExpiredTokens(db: Kysely<Database>, tenantId: string, now: number): Promise<void> {
  await db.deleteFrom("access_tokens").where("tenant_id", "=", tenantId).where("expires_at", "<", now).execute();
  const expired = db.selectFrom("token_families").select("id").where("tenant_id", "=", tenantId).where("expires_at", "<", now);
  await db.deleteFrom("refresh_tokens").where("tenant_id", "=", tenantId).where("family_id", "in", expired).execute();
  await db.deleteFrom("token_families").where("tenant_id", "=", tenantId).where("expires_at", "<", now).execute();
}
