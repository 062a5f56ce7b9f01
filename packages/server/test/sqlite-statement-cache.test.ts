import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type WardDatabase } from "../src/store/database.js";
import { DEFAULT_TENANT } from "../src/store/schema.js";
import { getSetting, setSetting } from "../src/store/settings.js";

// SQLite prepared statements are reused by SQL text (a token request runs the same few queries):
// reuse must never change a result, whether the statement last ran, streamed or was rebound.
describe("SQLite statement cache", () => {
  let database: WardDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("the same query with other parameters returns each its own row, also after an update", async () => {
    database = await openDatabase("sqlite::memory:");
    await setSetting(database.db, DEFAULT_TENANT, "a", "1");
    await setSetting(database.db, DEFAULT_TENANT, "b", "2");
    expect(await getSetting(database.db, DEFAULT_TENANT, "a")).toBe("1");
    expect(await getSetting(database.db, DEFAULT_TENANT, "b")).toBe("2");
    await setSetting(database.db, DEFAULT_TENANT, "a", "3");
    expect(await getSetting(database.db, DEFAULT_TENANT, "a")).toBe("3");
    expect(await getSetting(database.db, DEFAULT_TENANT, "missing")).toBeUndefined();
  });

  it("a streamed query and the same query executed afterwards both see every row", async () => {
    database = await openDatabase("sqlite::memory:");
    for (const key of ["a", "b", "c"]) await setSetting(database.db, DEFAULT_TENANT, key, key.toUpperCase());
    const db = database.db;
    const query = () => db.selectFrom("settings").select(["key", "value"]).where("tenant_id", "=", DEFAULT_TENANT).orderBy("key");
    const streamed: string[] = [];
    for await (const row of query().stream()) streamed.push(row.key);
    expect(streamed).toEqual(["a", "b", "c"]);
    expect((await query().execute()).map((row) => row.value)).toEqual(["A", "B", "C"]);
  });
});
