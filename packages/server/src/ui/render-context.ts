import { jsx } from "hono/jsx/jsx-runtime";

/**
 * hono/jsx keeps each render's context store in an AsyncLocalStorage when it finds one: on its
 * first render it asks `process.getBuiltinModule("node:async_hooks")` once and keeps the answer.
 * On Node 20 an AsyncLocalStorage, once used, turns on an async hook for the rest of the process,
 * so every promise of every request pays for it, the token endpoint's included (7–8 % of a refresh
 * grant's or code exchange's CPU time in paired bench runs). Ward's pages render synchronously and
 * read no context after an `await`, so hono's synchronous store serves them fully: the first render
 * is made here, while that one probe finds no AsyncLocalStorage.
 */
export function renderWithoutAsyncContext(): void {
  const getBuiltinModule = process.getBuiltinModule;
  if (typeof getBuiltinModule !== "function") return;
  process.getBuiltinModule = ((id: string) =>
    id === "node:async_hooks" || id === "async_hooks" ? undefined : getBuiltinModule.call(process, id)) as typeof getBuiltinModule;
  try {
    String(jsx("p", {}));
  } finally {
    process.getBuiltinModule = getBuiltinModule;
  }
}
