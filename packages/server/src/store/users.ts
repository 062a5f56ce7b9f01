import { WardError } from "@ward/core";
import type { Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./errors.js";
import type { Database, UsersTable } from "./schema.js";

export interface UserRecord {
  id: string;
  email: string;
  password_hash: string;
  name: string | null;
  disabled: boolean;
  created_at: number;
  updated_at: number;
}

export type UserPatch = Partial<Omit<UserRecord, "id" | "created_at">>;

/** Emails are unique per tenant case-insensitively. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

function fromRow(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    password_hash: row.password_hash,
    name: row.name,
    disabled: Number(row.disabled) === 1,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

async function emailConflict(db: Kysely<Database>, tenantId: string, email: string): Promise<WardError> {
  const existing = await getUserByEmail(db, tenantId, email);
  return new WardError("user_email_taken", { email, id: existing?.id ?? "unknown" });
}

export async function insertUser(db: Kysely<Database>, tenantId: string, user: UserRecord): Promise<void> {
  try {
    await db
      .insertInto("users")
      .values({ tenant_id: tenantId, ...user, email_normalized: normalizeEmail(user.email), disabled: user.disabled ? 1 : 0 })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw await emailConflict(db, tenantId, user.email);
    throw error;
  }
}

export async function getUser(db: Kysely<Database>, tenantId: string, id: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom("users").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function getUserByEmail(db: Kysely<Database>, tenantId: string, email: string): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("email_normalized", "=", normalizeEmail(email))
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function listUsers(db: Kysely<Database>, tenantId: string): Promise<UserRecord[]> {
  const rows = await db.selectFrom("users").selectAll().where("tenant_id", "=", tenantId).orderBy("created_at").orderBy("id").execute();
  return rows.map(fromRow);
}

export async function updateUser(db: Kysely<Database>, tenantId: string, id: string, patch: UserPatch): Promise<UserRecord | undefined> {
  const { disabled, email, ...rest } = patch;
  const columns = {
    ...rest,
    ...(disabled === undefined ? {} : { disabled: disabled ? 1 : 0 }),
    ...(email === undefined ? {} : { email, email_normalized: normalizeEmail(email) }),
  };
  try {
    if (Object.keys(columns).length)
      await db.updateTable("users").set(columns).where("tenant_id", "=", tenantId).where("id", "=", id).execute();
  } catch (error) {
    if (isUniqueViolation(error) && email) throw await emailConflict(db, tenantId, email);
    throw error;
  }
  return getUser(db, tenantId, id);
}

export async function deleteUser(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom("users").where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
