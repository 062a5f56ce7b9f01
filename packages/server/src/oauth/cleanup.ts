import type { Kysely } from "kysely";
import { deleteExpiredCodes } from "../store/codes.js";
import { deleteExpiredDeviceCodes } from "../store/device-codes.js";
import { deleteExpiredPushedRequests } from "../store/pushed-requests.js";
import type { Database } from "../store/schema.js";
import { deleteExpiredTokens } from "../store/tokens.js";
import { deleteExpiredJtis } from "../store/used-jtis.js";

/** Expired rows are kept a day (so "expired" and "reused" errors can still say so), then removed. */
const KEEP_EXPIRED_MS = 24 * 3600 * 1000;

/** Removes expired codes, pushed requests, tokens, sessions, sign-in pages and single-use ids; run by the maintenance timer. */
export async function cleanExpired(db: Kysely<Database>, tenantId: string, now: number): Promise<void> {
  const before = now - KEEP_EXPIRED_MS;
  await deleteExpiredCodes(db, tenantId, before);
  await deleteExpiredDeviceCodes(db, tenantId, before);
  await deleteExpiredTokens(db, tenantId, before);
  await deleteExpiredJtis(db, tenantId, now);
  await deleteExpiredPushedRequests(db, tenantId, before);
  await db.deleteFrom("sessions").where("tenant_id", "=", tenantId).where("expires_at", "<", now).execute();
  await db.deleteFrom("interactions").where("tenant_id", "=", tenantId).where("expires_at", "<", before).execute();
}
