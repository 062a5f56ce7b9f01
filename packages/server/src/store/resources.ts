import { WardError } from "@ward/core";
import type { Kysely, Selectable, Updateable } from "kysely";
import { guardUnique } from "./errors.js";
import { fromJson, toJson } from "./json.js";
import { type Page, paged } from "./page.js";
import type { Database, ResourcesTable } from "./schema.js";

export interface ResourceScope {
  name: string;
  description: string;
}

/** A protected resource (RFC 8707 / RFC 9728): its URI is the access token audience. */
export interface ResourceRecord {
  id: string;
  uri: string;
  scopes: ResourceScope[];
  /** Seconds. */
  access_token_ttl: number;
  /** Clients (the resource server's own) that may introspect tokens issued for this resource. */
  introspection_clients?: string[];
  /** Tokens for this resource are only issued DPoP-bound. */
  dpop_required?: boolean;
  /** Clients that may obtain tokens for this resource by token exchange (RFC 8693). */
  token_exchange_clients?: string[];
  /** The one client that may act for tokens issued for this resource (their `may_act` claim, RFC 8693 §4.4). */
  may_act?: string | null;
  created_at: number;
  updated_at: number;
}

/** Fields an update may change; `updated_at` defaults to now. */
export type ResourcePatch = Partial<Omit<ResourceRecord, "id" | "created_at">>;

function fromRow(row: Selectable<ResourcesTable>): ResourceRecord {
  return {
    id: row.id,
    uri: row.uri,
    scopes: fromJson<ResourceScope[]>(row.scopes) ?? [],
    access_token_ttl: Number(row.access_token_ttl),
    introspection_clients: fromJson<string[]>(row.introspection_clients) ?? [],
    dpop_required: Number(row.dpop_required) === 1,
    token_exchange_clients: fromJson<string[]>(row.token_exchange_clients) ?? [],
    may_act: row.may_act,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

/** `resource_uri_taken` naming the resource that holds the URI (looked up after the violation). */
async function uriConflict(db: Kysely<Database>, tenantId: string, uri: string, id: string): Promise<Error> {
  const holder = await getResourceByUri(db, tenantId, uri);
  if (holder) return new WardError("resource_uri_taken", { uri, id: holder.id });
  // Not the URI: the (generated) id itself collided. No catalog entry: nothing a user can fix.
  return new Error(`resource id ${id} already exists in tenant ${tenantId}`);
}

/** Stores a new resource; a URI already registered is `resource_uri_taken` and writes nothing. */
export async function insertResource(db: Kysely<Database>, tenantId: string, resource: ResourceRecord): Promise<void> {
  await guardUnique(
    db,
    () =>
      db
        .insertInto("resources")
        .values({
          tenant_id: tenantId,
          id: resource.id,
          uri: resource.uri,
          scopes: toJson(resource.scopes),
          access_token_ttl: resource.access_token_ttl,
          introspection_clients: toJson(resource.introspection_clients ?? []),
          dpop_required: resource.dpop_required ? 1 : 0,
          token_exchange_clients: toJson(resource.token_exchange_clients ?? []),
          may_act: resource.may_act ?? null,
          created_at: resource.created_at,
          updated_at: resource.updated_at,
        })
        .execute(),
    () => uriConflict(db, tenantId, resource.uri, resource.id),
  );
}

export async function getResource(db: Kysely<Database>, tenantId: string, id: string): Promise<ResourceRecord | undefined> {
  const row = await db.selectFrom("resources").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The resource registered for exactly this URI (byte for byte). */
export async function getResourceByUri(db: Kysely<Database>, tenantId: string, uri: string): Promise<ResourceRecord | undefined> {
  const row = await db.selectFrom("resources").selectAll().where("tenant_id", "=", tenantId).where("uri", "=", uri).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Resources in creation order (then id); every resource unless a page is given. */
export async function listResources(db: Kysely<Database>, tenantId: string, page: Page = {}): Promise<ResourceRecord[]> {
  const query = db.selectFrom("resources").selectAll().where("tenant_id", "=", tenantId).orderBy("created_at").orderBy("id");
  return (await paged(query, page).execute()).map(fromRow);
}

/**
 * Changes the given fields (and `updated_at`, now unless given); the updated resource, or undefined
 * when there is none. Moving to a URI another resource holds is `resource_uri_taken`, changing nothing.
 */
export async function updateResource(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  patch: ResourcePatch,
): Promise<ResourceRecord | undefined> {
  const columns: Updateable<ResourcesTable> = { updated_at: patch.updated_at ?? Date.now() };
  if (patch.uri !== undefined) columns.uri = patch.uri;
  if (patch.scopes !== undefined) columns.scopes = toJson(patch.scopes);
  if (patch.access_token_ttl !== undefined) columns.access_token_ttl = patch.access_token_ttl;
  if (patch.introspection_clients !== undefined) columns.introspection_clients = toJson(patch.introspection_clients);
  if (patch.dpop_required !== undefined) columns.dpop_required = patch.dpop_required ? 1 : 0;
  if (patch.token_exchange_clients !== undefined) columns.token_exchange_clients = toJson(patch.token_exchange_clients);
  if (patch.may_act !== undefined) columns.may_act = patch.may_act;
  await guardUnique(
    db,
    () => db.updateTable("resources").set(columns).where("tenant_id", "=", tenantId).where("id", "=", id).execute(),
    () => uriConflict(db, tenantId, patch.uri as string, id),
  );
  return getResource(db, tenantId, id);
}

/** True when a resource was deleted. */
export async function deleteResource(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom("resources").where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
