import { afterEach, describe, expect, it } from "vitest";
import { cleanExpired } from "../src/oauth/cleanup.js";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { DEFAULT_TENANT } from "../src/store/schema.js";

// The maintenance timer's deletes run every minute; on SQLite they run on the event loop, so a delete
// that reads a whole table holds every request for as long (150 ms with a million access tokens).
// Each must find its rows through an index on more than the tenant: no step of their query plans
// may read a whole table (a SCAN, or a SEARCH on tenant_id alone).
describe("expired-row cleanup", () => {
  let database: WardDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("finds every table's expired rows through an index on expires_at (or a family), never by reading the whole table", async () => {
    database = await openDatabase("sqlite::memory:");
    const native = database.sqlite?.native;
    if (!native) throw new Error("an SQLite database has its native handle");
    const statements: string[] = [];
    const prepare = native.prepare.bind(native);
    native.prepare = ((source: string) => {
      statements.push(source);
      return prepare(source);
    }) as typeof native.prepare;
    await cleanExpired(database.db, DEFAULT_TENANT, Date.now());
    native.prepare = prepare as typeof native.prepare;

    const deletes = statements.filter((source) => /^delete from/i.test(source));
    const tables = deletes.map((source) => /^delete from "([a-z_]+)"/i.exec(source)?.[1]);
    expect(tables.sort()).toEqual(
      [
        "access_tokens",
        "authorization_codes",
        "device_codes",
        "interactions",
        "pushed_requests",
        "refresh_tokens",
        "sessions",
        "token_families",
        "used_jtis",
      ].sort(),
    );
    for (const source of deletes) {
      // A plan does not depend on the values; every parameter must be bound, so null.
      const parameters = (source.match(/\?/g) ?? []).map(() => null);
      const plan = native.prepare(`explain query plan ${source}`).all(...parameters) as { detail: string }[];
      // A search on tenant_id alone reads every row of a one-tenant deployment, as a SCAN does.
      const wholeTable = plan
        .map((step) => step.detail)
        .filter((detail) => /^(SCAN|SEARCH) /.test(detail) && !/\(tenant_id=\? AND /.test(detail));
      expect({ source, wholeTable }).toEqual({ source, wholeTable: [] });
    }
  });
});
