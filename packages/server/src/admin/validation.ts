import { WardError } from "@ward/core";
import type { Context } from "hono";
import type { z } from "zod";
import type { WardEnv } from "../http/context.js";

/** One offending field of a request body: where, what was received, what is expected. */
export interface FieldProblem {
  field: string;
  received: string;
  expected: string;
}

/** Fields whose values are never echoed back. */
const SECRET_FIELDS = new Set(["password", "client_secret"]);

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let current = body;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function show(value: unknown, field: string): string {
  if (value === undefined) return "missing";
  if (SECRET_FIELDS.has(field.split(".").pop() ?? "")) return typeof value === "string" ? `a ${value.length}-character string` : typeof value;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Turns zod issues into field problems, one per field and message. */
export function fieldProblems(body: unknown, issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  return issues.map((issue) => {
    const path = issue.path;
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys;
      const prefix = path.length ? `${path.join(".")}.` : "";
      return { field: keys.map((k) => prefix + k).join(", "), received: "unknown field(s)", expected: "only documented fields; remove them" };
    }
    const field = path.length ? path.map(String).join(".") : "(body)";
    return { field, received: show(valueAt(body, path), field), expected: issue.message };
  });
}

/** The admin_invalid_body error for a list of problems (every field, nothing written). */
export function invalidBody(problems: FieldProblem[]): WardError {
  const summary = problems.map((p) => `${p.field}: received ${p.received}, expected ${p.expected}`).join("; ");
  return new WardError("admin_invalid_body", { count: problems.length, summary }, { details: { fields: problems } });
}

/** Reads a JSON object body, mapping a wrong Content-Type or a syntax error to catalog errors. */
export async function readJson(c: Context<WardEnv>): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new WardError("unsupported_media_type", { path: c.req.path, expected: "application/json", received: type || "(none)" });
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WardError("body_malformed", { expected: "JSON", reason: (error as Error).message });
  }
}

/** Parses a body with a schema, throwing admin_invalid_body listing every bad field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw invalidBody(fieldProblems(body, result.error.issues));
  return result.data;
}
