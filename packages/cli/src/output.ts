import { findError } from "@ward/core";

/** Documented exit codes of every ward command. */
export const EXIT = {
  ok: 0,
  /** Runtime failure: unsafe config, server could not start, unexpected error. */
  failure: 1,
  /** Usage: unknown command, flag, or error code. */
  usage: 2,
  /** The server answered with an error (bad input, not found, unauthorized…). */
  rejected: 3,
  /** The server could not be reached. */
  unreachable: 4,
  /** Agent: a login waited too long for the browser or the device. */
  timeout: 5,
  /** Agent: no credentials stored for the provider or connection asked for. */
  notLoggedIn: 6,
} as const;

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
}

export function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export function err(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** `key  value` lines with aligned keys, for one record. */
export function printRecord(record: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    const shown = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    out(`${key.padEnd(width)}  ${shown}`);
  }
}

/** A plain table of selected columns. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  const cell = (value: unknown) => (value === null || value === undefined ? "-" : Array.isArray(value) ? value.join(",") : String(value));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  out(
    columns
      .map((c, i) => c.toUpperCase().padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  for (const row of rows)
    out(
      columns
        .map((c, i) => cell(row[c]).padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  if (rows.length === 0) out("(none)");
}

/** Prints a Ward error body (from the API or a local WardError) with its fix, to stderr. */
export function printErrorBody(body: { code?: string; error?: string; error_description?: string; fields?: unknown }): void {
  const code = body.code ?? body.error ?? "error";
  const fields = Array.isArray(body.fields) ? body.fields : undefined;
  const description = body.error_description ?? "(no description)";
  // With a field list the description's inline summary would say everything twice.
  err(`✗ ${code}: ${fields ? `${description.split(": ")[0]}:` : description}`);
  if (fields) {
    for (const field of body.fields as { field: string; received: string; expected: string }[]) {
      err(`  - ${field.field}: received ${field.received}; expected ${field.expected}`);
    }
  }
  const definition = body.code ? findError(body.code) : undefined;
  if (definition) err(`  Fix: ${definition.fix}`);
  if (body.code) err(`  More: ward explain ${body.code}`);
}
