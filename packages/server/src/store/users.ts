import { WardError } from "@ward/core";
import type { Kysely, Selectable, Updateable } from "kysely";
import { guardUnique } from "./errors.js";
import { fromJson, numberOrNull, toJson } from "./json.js";
import { type Page, paged } from "./page.js";
import type { Database, UsersTable } from "./schema.js";

export interface UserRecord {
  id: string;
  /** As the user typed it (shown back); uniqueness and look-ups use the normalized form. */
  email: string;
  password_hash: string;
  name: string | null;
  disabled: boolean;
  created_at: number;
  updated_at: number;
  totp_secret_encrypted?: string | null;
  /** Set when 2FA is active. */
  totp_confirmed_at?: number | null;
  totp_last_step?: number | null;
  /** Hashes of the unused recovery codes. */
  recovery_codes?: string[];
}

/** What issuing a user's tokens reads of the user: the subject, the claims scopes release, whether tokens may still be issued. */
export type TokenUser = Pick<UserRecord, "id" | "email" | "name" | "disabled">;

/** The columns of a {@link TokenUser} in a read that joins `users as u` (names no token, family or code column has). */
export const TOKEN_USER_COLUMNS = ["u.id as u_id", "u.email as u_email", "u.name as u_name", "u.disabled as u_disabled"] as const;

/** The TokenUser of a joined row; undefined when the join found no user (deleted). */
export function tokenUserFromColumns(row: {
  u_id: string | null;
  u_email: string | null;
  u_name: string | null;
  u_disabled: number | null;
}): TokenUser | undefined {
  if (row.u_id === null) return undefined;
  return { id: row.u_id, email: row.u_email ?? "", name: row.u_name, disabled: Number(row.u_disabled) === 1 };
}

/** Fields an update may change; `updated_at` defaults to now. */
export type UserPatch = Partial<
  Pick<
    UserRecord,
    | "email"
    | "password_hash"
    | "name"
    | "disabled"
    | "updated_at"
    | "totp_secret_encrypted"
    | "totp_confirmed_at"
    | "totp_last_step"
    | "recovery_codes"
  >
>;

/** Emails are unique per tenant after trimming and lowercasing. */
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
    totp_secret_encrypted: row.totp_secret_encrypted,
    totp_confirmed_at: numberOrNull(row.totp_confirmed_at),
    totp_last_step: numberOrNull(row.totp_last_step),
    recovery_codes: fromJson<string[]>(row.recovery_codes) ?? [],
  };
}

/** `user_email_taken` naming the user that holds the email (looked up after the violation). */
async function emailConflict(db: Kysely<Database>, tenantId: string, email: string, id: string): Promise<Error> {
  const holder = await getUserByEmail(db, tenantId, email);
  if (holder) return new WardError("user_email_taken", { email, id: holder.id });
  // Not the email: the (generated) id itself collided. No catalog entry: nothing a user can fix.
  return new Error(`user id ${id} already exists in tenant ${tenantId}`);
}

/** Stores a new user; an email already registered (case-insensitively) is `user_email_taken` and writes nothing. */
export async function insertUser(db: Kysely<Database>, tenantId: string, user: UserRecord): Promise<void> {
  await guardUnique(
    db,
    () =>
      db
        .insertInto("users")
        .values({
          tenant_id: tenantId,
          id: user.id,
          email: user.email,
          email_normalized: normalizeEmail(user.email),
          password_hash: user.password_hash,
          name: user.name,
          disabled: user.disabled ? 1 : 0,
          created_at: user.created_at,
          updated_at: user.updated_at,
        })
        .execute(),
    () => emailConflict(db, tenantId, user.email, user.id),
  );
}

export async function getUser(db: Kysely<Database>, tenantId: string, id: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom("users").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The user with this email, compared after normalizing (`Ada@Example.com ` finds `ada@example.com`). */
export async function getUserByEmail(db: Kysely<Database>, tenantId: string, email: string): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("email_normalized", "=", normalizeEmail(email))
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Users in creation order (then id); every user unless a page is given. */
export async function listUsers(db: Kysely<Database>, tenantId: string, page: Page = {}): Promise<UserRecord[]> {
  const query = db.selectFrom("users").selectAll().where("tenant_id", "=", tenantId).orderBy("created_at").orderBy("id");
  return (await paged(query, page).execute()).map(fromRow);
}

/**
 * Changes the given fields (and `updated_at`, now unless given); the updated user, or undefined when
 * there is none. An email another user holds is `user_email_taken`, changing nothing.
 */
export async function updateUser(db: Kysely<Database>, tenantId: string, id: string, patch: UserPatch): Promise<UserRecord | undefined> {
  const columns: Updateable<UsersTable> = { updated_at: patch.updated_at ?? Date.now() };
  if (patch.email !== undefined) {
    columns.email = patch.email;
    columns.email_normalized = normalizeEmail(patch.email);
  }
  if (patch.password_hash !== undefined) columns.password_hash = patch.password_hash;
  if (patch.name !== undefined) columns.name = patch.name;
  if (patch.disabled !== undefined) columns.disabled = patch.disabled ? 1 : 0;
  if (patch.totp_secret_encrypted !== undefined) columns.totp_secret_encrypted = patch.totp_secret_encrypted;
  if (patch.totp_confirmed_at !== undefined) columns.totp_confirmed_at = patch.totp_confirmed_at;
  if (patch.totp_last_step !== undefined) columns.totp_last_step = patch.totp_last_step;
  if (patch.recovery_codes !== undefined) columns.recovery_codes = toJson(patch.recovery_codes);
  await guardUnique(
    db,
    () => db.updateTable("users").set(columns).where("tenant_id", "=", tenantId).where("id", "=", id).execute(),
    () => emailConflict(db, tenantId, patch.email as string, id),
  );
  return getUser(db, tenantId, id);
}

/** True when a user was deleted. */
export async function deleteUser(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom("users").where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Accepts a TOTP time step once: sets it only when it is after the last accepted one (compare-and-set,
 * so two requests with the same code cannot both pass, RFC 6238 §5.2). `confirmAt` turns 2FA on.
 */
export async function claimTotpStep(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
  step: number,
  confirmAt?: number,
): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ totp_last_step: step, ...(confirmAt !== undefined ? { totp_confirmed_at: confirmAt } : {}) })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", userId)
    .where((eb) => eb.or([eb("totp_last_step", "is", null), eb("totp_last_step", "<", step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes one recovery code hash, only if the stored list is still `expected` (compare-and-set: a code works once). */
export async function consumeRecoveryCode(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
  expected: readonly string[],
  used: string,
): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ recovery_codes: toJson(expected.filter((hash) => hash !== used)) })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", userId)
    .where("recovery_codes", "=", toJson(expected))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
