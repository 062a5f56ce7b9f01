import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { WardEnv } from "../src/http/context.js";
import { type LazyGroup, mountLazily, routesOf } from "../src/http/lazy-routes.js";
import * as groups from "../src/lazy-groups.js";

/** Stands in for the server / admin context: mount functions only capture it (a few build strings from it). */
const anyContext = new Proxy({}, { get: (_, key) => (key === Symbol.toPrimitive ? () => "http://127.0.0.1" : anyContext) });

describe("lazily mounted route groups", () => {
  for (const [name, group] of Object.entries(groups)) {
    it(`${name}: the declared routes are exactly what its module mounts, in order`, async () => {
      const app = new Hono<WardEnv>();
      (await group.load())(app, anyContext as never);
      expect(routesOf(app)).toEqual(group.routes);
    });
  }

  it("registers the routes in place, imports once for concurrent first requests, and retries a failed import", async () => {
    let loads = 0;
    let fail = true;
    const group: LazyGroup<string> = {
      routes: [["GET", "/things/:id"]],
      load: async () => {
        loads++;
        if (fail) throw new Error("import failed");
        return (app, ctx) => app.get("/things/:id", (c) => c.text(`${ctx} ${c.req.param("id")}`));
      },
    };
    const app = new Hono<WardEnv>();
    app.onError((error, c) => c.text(error.message, 500));
    app.get("/before", (c) => c.text("before"));
    mountLazily(app, group, "thing");
    app.get("/after", (c) => c.text("after"));
    expect(routesOf(app)).toEqual([
      ["GET", "/before"],
      ["GET", "/things/:id"],
      ["GET", "/after"],
    ]);
    expect(loads).toBe(0);

    expect((await app.request("/things/1")).status).toBe(500);
    fail = false;
    const answers = await Promise.all([app.request("/things/2"), app.request("/things/3")]);
    expect(await Promise.all(answers.map((r) => r.text()))).toEqual(["thing 2", "thing 3"]);
    expect(loads).toBe(2);
    expect((await app.request("/things")).status).toBe(404);
  });

  it("refuses a group whose module mounts other routes than it declares", async () => {
    const app = new Hono<WardEnv>();
    app.onError((error, c) => c.text(error.message, 500));
    mountLazily(app, { routes: [["GET", "/a"]], load: async () => (inner) => inner.post("/a", (c) => c.text("a")) }, undefined);
    const response = await app.request("/a");
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("lazy route group mismatch");
  });
});
