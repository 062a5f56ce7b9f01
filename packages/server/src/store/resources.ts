import { WardError } from "@ward/core";
import type { Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./errors.js";
import { fromJson, toJson } from "./json.js";
import type { Database, ResourcesTable } from "./schema.js";

export interface ResourceScope {
  name: string;
  description: string;
}

export interface ResourceRecord {
  id: string;
  uri: string;
  scopes: ResourceScope[];
  access_token_ttl: number;
  created_at: number;
  updated_at: number;
}

export type ResourcePatch = Partial<Omit<ResourceRecord, "id" | "created_at">>;

function fromRow(row: Selectable<ResourcesTable>): ResourceRecord {
  return {
    id: row.id,
    uri: row.uri,
    scopes: fromJson<ResourceScope[]>(row.scopes) ?? [],
    access_token_ttl: Number(row.access_token_ttl),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

async function uriConflict(db: Kysely<Database>, tenantId: string, uri: string): Promise<WardError> {
  const existing = await getResourceByUri(db, tenantId, uri);
  return new WardError("resource_uri_taken", { uri, id: existing?.id ?? "unknown" });
}

export async function insertResource(db: Kysely<Database>, tenantId: string, resource: ResourceRecord): Promise<void> {
  try {
    await db
      .insertInto("resources")
      .values({ tenant_id: tenantId, ...resource, scopes: toJson(resource.scopes) })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw await uriConflict(db, tenantId, resource.uri);
    throw error;
  }
}

export async function getResource(db: Kysely<Database>, tenantId: string, id: string): Promise<ResourceRecord | undefined> {
  const row = await db.selectFrom("resources").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function getResourceByUri(db: Kysely<Database>, tenantId: string, uri: string): Promise<ResourceRecord | undefined> {
  const row = await db.selectFrom("resources").selectAll().where("tenant_id", "=", tenantId).where("uri", "=", uri).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function listResources(db: Kysely<Database>, tenantId: string): Promise<ResourceRecord[]> {
  const rows = await db.selectFrom("resources").selectAll().where("tenant_id", "=", tenantId).orderBy("created_at").orderBy("id").execute();
  return rows.map(fromRow);
}

export async function updateResource(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  patch: ResourcePatch,
): Promise<ResourceRecord | undefined> {
  const { scopes, ...rest } = patch;
  const columns = { ...rest, ...(scopes ? { scopes: toJson(scopes) } : {}) };
  try {
    if (Object.keys(columns).length)
      await db.updateTable("resources").set(columns).where("tenant_id", "=", tenantId).where("id", "=", id).execute();
  } catch (error) {
    if (isUniqueViolation(error) && patch.uri) throw await uriConflict(db, tenantId, patch.uri);
    throw error;
  }
  return getResource(db, tenantId, id);
}

export async function deleteResource(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom("resources").where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
