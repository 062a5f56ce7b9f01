import { readFileSync } from "node:fs";
import { closestMatches, WardError } from "@ward/core";
import { parse as parseYaml } from "yaml";
import { allKeys, configSpec, envName, type KeySpec, sectionNames, type WardConfig } from "./spec.js";

/** Environment variables that start with WARD_ but belong to the CLI, not to the server config. */
const CLIENT_SIDE_ENV = new Set(["WARD_ADMIN_URL", "WARD_CONFIG"]);

type Raw = Record<string, Record<string, unknown>>;

export interface LoadOptions {
  /** Path of a YAML file; absent: defaults + environment only. */
  file?: string;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Applied over the built-in defaults but under the file and the environment (e.g. `ward dev`'s choices). */
  defaults?: Partial<{ [S in keyof WardConfig]: Partial<WardConfig[S]> }>;
  /** Applied last, e.g. from command-line flags. */
  overrides?: Partial<{ [S in keyof WardConfig]: Partial<WardConfig[S]> }>;
}

export interface LoadResult {
  config: WardConfig;
  /** Every problem found; the config is only usable when this is empty. */
  problems: WardError[];
  /** Where each key's value came from: "default", the file path, the env var name or "override". */
  sources: Record<string, string>;
}

function specOf(section: string, key: string): KeySpec | undefined {
  const keys = (configSpec as Record<string, Record<string, KeySpec>>)[section];
  return keys && Object.hasOwn(keys, key) ? keys[key] : undefined;
}

function allKeyPaths(): string[] {
  return [...allKeys()].map(([s, k]) => `${s}.${k}`);
}

function suggestion(path: string): string {
  const [best] = closestMatches(path, path.includes(".") ? allKeyPaths() : sectionNames, 1);
  return best ? ` Did you mean ${best}?` : "";
}

function readFile(path: string, problems: WardError[]): Raw {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    problems.push(new WardError("config_file_unreadable", { path, reason: (error as NodeJS.ErrnoException).code ?? String(error) }));
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (error) {
    problems.push(new WardError("config_file_invalid_yaml", { path, reason: (error as Error).message.split("\n")[0] }));
    return {};
  }
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    problems.push(
      new WardError("config_file_invalid_yaml", { path, reason: "the top level must be a mapping of sections (server:, admin:, …)" }),
    );
    return {};
  }
  const raw: Raw = {};
  for (const [section, keys] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(sectionNames as string[]).includes(section)) {
      problems.push(new WardError("config_unknown_key", { source: path, key: section, suggestion: suggestion(section) }));
      continue;
    }
    if (keys === null || typeof keys !== "object" || Array.isArray(keys)) {
      problems.push(new WardError("config_invalid_value", { key: section, received: JSON.stringify(keys), expected: "a mapping of keys" }));
      continue;
    }
    for (const [key, value] of Object.entries(keys as Record<string, unknown>)) {
      if (!specOf(section, key)) {
        problems.push(
          new WardError("config_unknown_key", { source: path, key: `${section}.${key}`, suggestion: suggestion(`${section}.${key}`) }),
        );
        continue;
      }
      raw[section] ??= {};
      (raw[section] as Record<string, unknown>)[key] = value;
    }
  }
  return raw;
}

function envValue(kind: KeySpec["env"], text: string): unknown {
  if (kind === "integer") return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
  if (kind === "list")
    return text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  if (kind === "boolean") {
    const lowered = text.trim().toLowerCase();
    if (["true", "1", "yes", "on"].includes(lowered)) return true;
    if (["false", "0", "no", "off"].includes(lowered)) return false;
    return text;
  }
  return text;
}

function envEntries(env: Record<string, string | undefined>, problems: WardError[]): Array<[string, string, unknown, string]> {
  const out: Array<[string, string, unknown, string]> = [];
  const byName = new Map<string, [string, string, KeySpec]>();
  for (const [section, key, spec] of allKeys()) byName.set(envName(section, key), [section, key, spec]);
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith("WARD_") || text === undefined || text === "" || CLIENT_SIDE_ENV.has(name)) continue;
    const known = byName.get(name);
    if (known) {
      const [section, key, spec] = known;
      out.push([section, key, envValue(spec.env, text), name]);
      continue;
    }
    const section = sectionNames.find((s) => name.startsWith(`WARD_${s.toUpperCase()}_`));
    if (section) {
      const [best] = closestMatches(name, byName.keys(), 1);
      problems.push(
        new WardError("config_unknown_key", {
          source: `environment variable ${name}`,
          key: name,
          suggestion: best ? ` Did you mean ${best}?` : "",
        }),
      );
    }
  }
  return out;
}

/** Shows a received value in an error without ever echoing a secret. */
export function describeReceived(value: unknown, secret: boolean): string {
  if (value === undefined) return "not set";
  if (secret) return typeof value === "string" ? `a ${value.length}-character value` : `a ${typeof value}`;
  return JSON.stringify(value);
}

/**
 * Loads the configuration: built-in defaults < `defaults` < YAML file < WARD_* environment < overrides. Unknown keys,
 * unreadable files and invalid values are all collected into `problems`, one per key.
 */
export function loadConfig(options: LoadOptions = {}): LoadResult {
  const problems: WardError[] = [];
  const sources: Record<string, string> = {};
  const merged: Raw = {};
  const set = (section: string, key: string, value: unknown, source: string) => {
    merged[section] ??= {};
    (merged[section] as Record<string, unknown>)[key] = value;
    sources[`${section}.${key}`] = source;
  };
  for (const [section, keys] of Object.entries(options.defaults ?? {})) {
    for (const [key, value] of Object.entries(keys ?? {})) if (value !== undefined) set(section, key, value, "ward dev default");
  }
  if (options.file) {
    for (const [section, keys] of Object.entries(readFile(options.file, problems))) {
      for (const [key, value] of Object.entries(keys)) set(section, key, value, options.file);
    }
  }
  for (const [section, key, value, name] of envEntries(options.env ?? process.env, problems)) set(section, key, value, name);
  for (const [section, keys] of Object.entries(options.overrides ?? {})) {
    for (const [key, value] of Object.entries(keys ?? {})) if (value !== undefined) set(section, key, value, "override");
  }

  const config: Record<string, Record<string, unknown>> = {};
  for (const [section, key, spec] of allKeys()) {
    config[section] ??= {};
    const given = merged[section]?.[key];
    if (given === undefined) {
      (config[section] as Record<string, unknown>)[key] = spec.default;
      sources[`${section}.${key}`] ??= "default";
      continue;
    }
    const parsed = spec.schema.safeParse(given);
    if (parsed.success) {
      (config[section] as Record<string, unknown>)[key] = parsed.data;
    } else {
      (config[section] as Record<string, unknown>)[key] = spec.default;
      const quoteHint = spec.env === "string" && typeof given === "number" ? "; YAML read an unquoted number: quote the value" : "";
      const expected = parsed.error.issues.map((issue) => issue.message).join("; ") + quoteHint;
      problems.push(
        new WardError("config_invalid_value", {
          key: `${section}.${key} (from ${sources[`${section}.${key}`]})`,
          received: describeReceived(given, spec.secret === true),
          expected,
        }),
      );
    }
  }
  const server = config.server as { issuer: string; port: number };
  if (sources["server.issuer"] === "default") {
    if (server.port === 0) {
      problems.push(
        new WardError("config_invalid_value", {
          key: "server.issuer",
          received: "not set while server.port is 0",
          expected: "an explicit issuer (a random port cannot be announced to clients in advance)",
        }),
      );
    } else server.issuer = `http://127.0.0.1:${server.port}`;
  }
  return { config: config as WardConfig, problems, sources };
}
