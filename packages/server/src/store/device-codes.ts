import type { CompiledQuery, Kysely, Selectable } from "kysely";
import { numberOrNull, toJson } from "./json.js";
import type { Database, DeviceCodesTable } from "./schema.js";

export interface DeviceCodeRecord {
  device_code_hash: string;
  user_code_hash: string;
  client_id: string;
  scope: string;
  resource: string | null;
  status: "pending" | "approved" | "denied";
  poll_interval: number;
  last_polled_at: number | null;
  user_id: string | null;
  session_id: string | null;
  auth_time: number | null;
  amr: string[] | null;
  decided_at: number | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  family_id: string | null;
}

/** Who approved a device code, from their Ward session. */
export interface DeviceApproval {
  user_id: string;
  session_id: string;
  auth_time: number;
  amr: string[];
}

function fromRow(row: Selectable<DeviceCodesTable>): DeviceCodeRecord {
  return {
    ...row,
    poll_interval: Number(row.poll_interval),
    last_polled_at: numberOrNull(row.last_polled_at),
    auth_time: numberOrNull(row.auth_time),
    amr: row.amr === null ? null : (JSON.parse(row.amr) as string[]),
    decided_at: numberOrNull(row.decided_at),
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    used_at: numberOrNull(row.used_at),
  };
}

export async function insertDeviceCode(db: Kysely<Database>, tenantId: string, record: DeviceCodeRecord): Promise<void> {
  await db
    .insertInto("device_codes")
    .values({ tenant_id: tenantId, ...record, amr: record.amr === null ? null : toJson(record.amr) })
    .execute();
}

export async function getDeviceCode(
  db: Kysely<Database>,
  tenantId: string,
  by: { device_code_hash: string } | { user_code_hash: string },
): Promise<DeviceCodeRecord | undefined> {
  const [column, value] =
    "device_code_hash" in by ? (["device_code_hash", by.device_code_hash] as const) : (["user_code_hash", by.user_code_hash] as const);
  const row = await db
    .selectFrom("device_codes")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where(column, "=", value)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/**
 * Records the user's decision, only while the code is pending and unexpired: a compare-and-set, so a
 * code is decided by exactly one approval (or denial). False when another decision or expiry came first.
 */
export async function decideDeviceCode(
  db: Kysely<Database>,
  tenantId: string,
  deviceCodeHash: string,
  decision: { status: "approved"; approval: DeviceApproval } | { status: "denied"; user_id: string },
  now: number,
): Promise<boolean> {
  const by =
    decision.status === "approved"
      ? { ...decision.approval, amr: toJson(decision.approval.amr) }
      : { user_id: decision.user_id, session_id: null, auth_time: null, amr: null };
  const result = await db
    .updateTable("device_codes")
    .set({ status: decision.status, decided_at: now, ...by })
    .where("tenant_id", "=", tenantId)
    .where("device_code_hash", "=", deviceCodeHash)
    .where("status", "=", "pending")
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Moves the last poll time from `previous` to `now` and adds `addSeconds` to the interval (a
 * slow_down), in one UPDATE: of concurrent polls only one moves it (the others get undefined and
 * take {@link lengthenInterval}), and the interval is incremented in place, so an increment made by
 * another poll between this poll's read and its write is kept. The interval after the update.
 */
export async function recordPoll(
  db: Kysely<Database>,
  tenantId: string,
  deviceCodeHash: string,
  previous: number | null,
  now: number,
  addSeconds: number,
): Promise<number | undefined> {
  const row = await db
    .updateTable("device_codes")
    .set((eb) => ({ last_polled_at: now, poll_interval: eb("poll_interval", "+", addSeconds) }))
    .where("tenant_id", "=", tenantId)
    .where("device_code_hash", "=", deviceCodeHash)
    .where("last_polled_at", previous === null ? "is" : "=", previous)
    .returning("poll_interval")
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.poll_interval);
}

/** Adds `step` seconds to the interval (a poll that lost the race of {@link recordPoll}); the new interval. */
export async function lengthenInterval(db: Kysely<Database>, tenantId: string, deviceCodeHash: string, step: number): Promise<number> {
  const row = await db
    .updateTable("device_codes")
    .set((eb) => ({ poll_interval: eb("poll_interval", "+", step) }))
    .where("tenant_id", "=", tenantId)
    .where("device_code_hash", "=", deviceCodeHash)
    .returning("poll_interval")
    .executeTakeFirst();
  return Number(row?.poll_interval ?? step);
}

/** Marks an approved code redeemed and links its token family: a guard, of two concurrent redemptions exactly one changes the row. */
export function claimDeviceCodeQuery(
  db: Kysely<Database>,
  tenantId: string,
  deviceCodeHash: string,
  familyId: string,
  now: number,
): CompiledQuery {
  return db
    .updateTable("device_codes")
    .set({ used_at: now, family_id: familyId })
    .where("tenant_id", "=", tenantId)
    .where("device_code_hash", "=", deviceCodeHash)
    .where("status", "=", "approved")
    .where("used_at", "is", null)
    .compile();
}

/** Removes device codes that expired before `before`. */
export async function deleteExpiredDeviceCodes(db: Kysely<Database>, tenantId: string, before: number): Promise<void> {
  await db.deleteFrom("device_codes").where("tenant_id", "=", tenantId).where("expires_at", "<", before).execute();
}
