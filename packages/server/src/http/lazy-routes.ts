import { type Handler, Hono } from "hono";
import type { WardEnv } from "./context.js";

/** One route of a lazily imported group, as its mount function registers it: method ("ALL" for `app.all`) and path. */
export type LazyRoute = readonly [method: string, path: string];

/** A route group whose module is imported on its first request: the routes it mounts, in order, and its mount function. */
export interface LazyGroup<C> {
  routes: readonly LazyRoute[];
  load(): Promise<(app: Hono<WardEnv>, ctx: C) => void>;
}

/** The routes an app has, as `[method, path]` in registration order. */
export function routesOf(app: Hono<WardEnv>): LazyRoute[] {
  return app.routes.map((route) => [route.method, route.path] as const);
}

/** Mounts the group into an app of its own and returns its handlers, in the order of its routes. */
async function loadHandlers<C>(group: LazyGroup<C>, ctx: C): Promise<Handler<WardEnv>[]> {
  const app = new Hono<WardEnv>();
  (await group.load())(app, ctx);
  const mounted = routesOf(app);
  if (JSON.stringify(mounted) !== JSON.stringify(group.routes)) {
    throw new Error(`lazy route group mismatch: declared ${JSON.stringify(group.routes)}, its module mounts ${JSON.stringify(mounted)}`);
  }
  return app.routes.map((route) => route.handler as Handler<WardEnv>);
}

/**
 * Registers a group's routes now, in place (the methods, paths and order its mount function would
 * register, so route order and 404s are unchanged), and imports the module that handles them on
 * the first request to any of them. Keeps rarely hit groups (hosted pages, admin API) out of `ward
 * server`'s time to ready; that first request pays the import. A failed import is retried on the
 * next request.
 */
export function mountLazily<C>(app: Hono<WardEnv>, group: LazyGroup<C>, ctx: C): void {
  let handlers: Promise<Handler<WardEnv>[]> | undefined;
  const loaded = () => {
    handlers ??= loadHandlers(group, ctx).catch((error: unknown) => {
      handlers = undefined;
      throw error;
    });
    return handlers;
  };
  group.routes.forEach(([method, path], index) => {
    app.on(method, path, async (c, next) => ((await loaded())[index] as Handler<WardEnv>)(c, next));
  });
}
