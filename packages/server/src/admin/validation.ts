import { WardError } from "@ward/core";
import type { Context } from "hono";
import type { z } from "zod";
import type { WardEnv } from "../http/context.js";
import { nulField } from "../http/nul-guard.js";

/** One offending field of a request body: where, what was received, what is expected. */
export interface FieldProblem {
  field: string;
  received: string;
  expected: string;
}

/** Fields whose values are never echoed back: passwords, client secrets, private JWK members. */
const SECRET_FIELDS = new Set(["password", "client_secret", "d", "p", "q", "dp", "dq", "qi", "oth", "k"]);

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let current = body;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function redacted(value: unknown): string {
  return typeof value === "string"
    ? `a ${value.length}-character string (not shown)`
    : `a ${value === null ? "null" : typeof value} (not shown)`;
}

function show(value: unknown, field: string): string {
  if (value === undefined) return "missing";
  if (SECRET_FIELDS.has(field.split(".").pop() ?? "")) return redacted(value);
  const text = JSON.stringify(value, (key, inner) => (SECRET_FIELDS.has(key) ? redacted(inner) : inner)) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Turns zod issues into field problems, one per field and message. */
export function fieldProblems(body: unknown, issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  return issues.flatMap((issue): FieldProblem[] => {
    const path = issue.path;
    if (issue.code === "unrecognized_keys") {
      // One problem per unknown field; its value is never shown (it may be a secret, e.g. client_secret).
      const prefix = path.length ? `${path.map(String).join(".")}.` : "";
      return issue.keys.map((key) => ({
        field: prefix + key,
        received: "unknown field(s)",
        expected: "only documented fields; remove it",
      }));
    }
    const field = path.length ? path.map(String).join(".") : "(body)";
    return [{ field, received: show(valueAt(body, path), field), expected: issue.message }];
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
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new WardError("body_malformed", { expected: "JSON", reason: (error as Error).message });
  }
  const field = nulField(body);
  if (field !== undefined)
    throw invalidBody([{ field, received: "text with a NUL character (\\u0000)", expected: "text without NUL characters" }]);
  return body;
}

/**
 * Parses a body with a schema, throwing admin_invalid_body listing every bad field: the schema's,
 * plus `besideSchemaErrors()` (cross-field rules checked on the fields that did parse).
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, besideSchemaErrors: () => FieldProblem[] = () => []): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw invalidBody([...fieldProblems(body, result.error.issues), ...besideSchemaErrors()]);
  return result.data;
}
