import { allKeys, type WardConfig } from "./spec.js";

/** Replaces the password of a well-formed connection URL with `***`. */
function redactWellFormedUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

/**
 * Replaces the password of a connection URL with `***`: the well-formed case, plus what a pattern on well-formed URLs misses: a password holding `/` or `@`, a URL
 * without a scheme, and a `password=` query parameter. Over-redacting an odd URL is the safe side.
 */
export function redactUrl(url: string): string {
  const [, scheme = "", rest = ""] = /^([a-z][a-z0-9+.-]*:\/\/)?([\s\S]*)$/i.exec(redactWellFormedUrl(url)) ?? [];
  let redacted = rest;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon >= 0 && !userinfo.slice(0, colon).includes("/")) redacted = `${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return `${scheme}${redacted}`.replace(/([?&]password=)[^&#]*/gi, "$1***");
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
