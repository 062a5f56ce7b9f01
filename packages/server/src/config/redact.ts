import { allKeys, type WardConfig } from "./spec.js";

/** Replaces the password of a connection URL with `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

/** A copy of the configuration safe to print: secrets replaced by their length, URL passwords hidden. */
export function redactConfig(config: WardConfig): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, key, spec] of allKeys()) {
    const value = (config as Record<string, Record<string, unknown>>)[section]?.[key];
    out[section] ??= {};
    let shown = value;
    if (spec.secret) shown = typeof value === "string" ? `<redacted: ${value.length} characters>` : "<not set>";
    else if (section === "database" && key === "url" && typeof value === "string") shown = redactUrl(value);
    (out[section] as Record<string, unknown>)[key] = shown === undefined ? null : shown;
  }
  return out;
}
