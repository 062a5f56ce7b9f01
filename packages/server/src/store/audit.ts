import type { CompiledQuery, Insertable, Kysely } from "kysely";
import { pooledRandomBytes } from "../crypto/random-pool.js";
import { toJson } from "./json.js";
import { insertRowQuery } from "./row-insert.js";
import type { AuditEventsTable, Database } from "./schema.js";

export interface AuditEventInput {
  /** Dotted event name, e.g. `client.created`, `refresh_token.reuse_detected`. */
  type: string;
  /** Who did it: `admin`, a user id, a client id, `system`. */
  actor: string;
  /** What it was done to, when there is one thing. */
  subject?: string | null;
  /** Extra details; never secrets. */
  data?: Record<string, unknown>;
}

export interface AuditEvent {
  id: string;
  type: string;
  actor: string;
  subject: string | null;
  data: Record<string, unknown>;
  created_at: number;
}

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7 whose 12-bit `rand_a` is a per-process sequence: ids sort by creation time, and events
 * recorded within the same millisecond by this process keep their order.
 */
function eventId(now: number): string {
  if (now === lastMs) sequence = (sequence + 1) & 0xfff;
  else {
    lastMs = now;
    sequence = 0;
  }
  const bytes = pooledRandomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The event as it will be stored (id and time drawn now) and its row. */
export function auditEventRow(tenantId: string, event: AuditEventInput): { stored: AuditEvent; row: Insertable<AuditEventsTable> } {
  const created_at = Date.now();
  const stored: AuditEvent = {
    id: eventId(created_at),
    type: event.type,
    actor: event.actor,
    subject: event.subject ?? null,
    data: event.data ?? {},
    created_at,
  };
  const row = {
    tenant_id: tenantId,
    id: stored.id,
    type: stored.type,
    actor: stored.actor,
    subject: stored.subject,
    data: toJson(stored.data),
    created_at: stored.created_at,
  };
  return { stored, row };
}

/** The INSERT of an audit event, compiled, for a GuardedWrite (guarded-writes.ts). */
export function auditEventQuery(db: Kysely<Database>, tenantId: string, event: AuditEventInput): CompiledQuery {
  return insertRowQuery(db, "audit_events", auditEventRow(tenantId, event).row);
}

/** Appends an audit event and returns it; call it with the transaction of the change it records. */
export async function recordAuditEvent(db: Kysely<Database>, tenantId: string, event: AuditEventInput): Promise<AuditEvent> {
  const { stored, row } = auditEventRow(tenantId, event);
  await db.insertInto("audit_events").values(row).execute();
  return stored;
}

/** The newest `limit` events (of `filter.type`, or about `filter.subject`, when given), newest first. */
export async function listAuditEvents(
  db: Kysely<Database>,
  tenantId: string,
  limit = 100,
  filter: { type?: string; subject?: string } = {},
): Promise<AuditEvent[]> {
  let query = db.selectFrom("audit_events").selectAll().where("tenant_id", "=", tenantId);
  if (filter.type !== undefined) query = query.where("type", "=", filter.type);
  if (filter.subject !== undefined) query = query.where("subject", "=", filter.subject);
  const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
  return rows.map((row) => ({
    id: row.id,
    type: row.type,
    actor: row.actor,
    subject: row.subject,
    data: JSON.parse(row.data) as Record<string, unknown>,
    created_at: Number(row.created_at),
  }));
}
