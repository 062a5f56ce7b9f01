import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { toJson } from "./json.js";
import type { Database } from "./schema.js";

export interface AuditEventInput {
  type: string;
  actor: string;
  subject?: string | null;
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

/** Appends an audit event; call it inside the transaction of the change it records. */
export async function recordAuditEvent(db: Kysely<Database>, tenantId: string, event: AuditEventInput): Promise<void> {
  await db
    .insertInto("audit_events")
    .values({
      tenant_id: tenantId,
      id: randomUUID(),
      type: event.type,
      actor: event.actor,
      subject: event.subject ?? null,
      data: toJson(event.data ?? {}),
      created_at: Date.now(),
    })
    .execute();
}

/** The newest events first. */
export async function listAuditEvents(db: Kysely<Database>, tenantId: string, limit = 100): Promise<AuditEvent[]> {
  const rows = await db
    .selectFrom("audit_events")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    type: row.type,
    actor: row.actor,
    subject: row.subject,
    data: JSON.parse(row.data) as Record<string, unknown>,
    created_at: Number(row.created_at),
  }));
}
