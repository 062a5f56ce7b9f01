import { afterAll, beforeAll, expect } from "vitest";
import type { FieldProblem } from "../../src/admin/validation.js";
import { startTestWard, type TestWard } from "./ward.js";

export type Json = Record<string, unknown>;

/**
 * Starts a test Ward before the file's tests and stops it after. The returned object forwards to
 * the running instance, so tests write `t.admin(…)` as with a plain variable.
 */
export function useTestWard(
  overrides: Parameters<typeof startTestWard>[0] = {},
  options: Parameters<typeof startTestWard>[1] = {},
): TestWard {
  let current: TestWard | undefined;
  beforeAll(async () => {
    current = await startTestWard(overrides, options);
  });
  afterAll(async () => {
    await current?.stop();
  });
  return new Proxy({} as TestWard, {
    get(_, key) {
      if (!current) throw new Error("the test Ward is used before beforeAll started it");
      return Reflect.get(current, key);
    },
  });
}

/** 400 admin_invalid_body listing exactly `fields` (any order), each with received and expected. */
export async function expectInvalid(response: Response, fields: string[]): Promise<{ body: Json; problems: FieldProblem[]; text: string }> {
  const text = await response.text();
  expect(response.status, text).toBe(400);
  const body = JSON.parse(text) as Json;
  expect(body.code).toBe("admin_invalid_body");
  expect(body.error).toBe("invalid_request");
  const problems = body.fields as FieldProblem[];
  expect(problems.map((p) => p.field).sort()).toEqual([...fields].sort());
  for (const problem of problems) {
    expect(typeof problem.received).toBe("string");
    expect(problem.expected.length).toBeGreaterThan(0);
  }
  expect(body.error_description).toContain(`${fields.length} field(s) are invalid`);
  return { body, problems, text };
}

/** create / list / refused-create helpers for one admin collection, e.g. `/admin/v1/users` listed under `users`. */
export function adminCollection(t: TestWard, path: string, listKey: string) {
  const list = async (): Promise<Json[]> => {
    const response = await t.admin(path);
    expect(response.status).toBe(200);
    return ((await response.json()) as Record<string, Json[]>)[listKey] as Json[];
  };
  return {
    list,
    async createOk(body: unknown): Promise<Json> {
      const response = await t.admin(path, { body });
      const json = (await response.json()) as Json;
      expect(response.status, JSON.stringify(json)).toBe(201);
      return json;
    },
    /** Creating `body` is refused with exactly `fields`, and the collection is unchanged afterwards. */
    async expectCreateRefused(body: unknown, fields: string[]) {
      const before = await list();
      const result = await expectInvalid(await t.admin(path, { body }), fields);
      expect(await list()).toEqual(before);
      return result;
    },
  };
}
