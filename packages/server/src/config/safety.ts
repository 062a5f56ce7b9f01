import { isLoopbackHostname, WardError } from "@ward/core";
import { parseDuration } from "../keys/schedule.js";
import { databaseKindOf } from "./database-url.js";
import { redactUrl } from "./redact.js";
import type { WardConfig } from "./spec.js";

const WEAK_VALUES = new Set([
  "changeme",
  "changeit",
  "secret",
  "password",
  "passw0rd",
  "admin",
  "default",
  "test",
  "example",
  "letmein",
  "qwerty",
  "ward",
  "dev",
  "123456",
  "12345678",
  "1234567890",
]);

/** Why a secret is a well-known or trivially guessable value, or undefined when it is not. */
export function weakSecretHint(value: string): string | undefined {
  const lowered = value.toLowerCase();
  const core = lowered.replace(/[^a-z0-9]/g, "");
  for (const weak of WEAK_VALUES) {
    if (core === weak || core.replace(/\d+$/, "") === weak || core === weak.repeat(Math.max(1, Math.round(core.length / weak.length)))) {
      return `a variation of "${weak}"`;
    }
  }
  if (new Set(value).size <= 3) return "it repeats at most three distinct characters";
  let rest = core;
  for (const weak of WEAK_VALUES) rest = rest.split(weak).join("");
  if (rest.length < 8 && core.length > rest.length) return "it is made of well-known words";
  return undefined;
}

/**
 * Decodes secrets.master_key: 64 hex or 43 base64url characters giving exactly 32 bytes.
 * Returns the key, or a description of what was received (never the value itself).
 */
export function decodeMasterKey(value: string): { key: Buffer } | { problem: string } {
  const text = value.trim();
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) {
    return text.length === 64 ? { key: Buffer.from(text, "hex") } : { problem: `${text.length / 2} bytes (${text.length} hex characters)` };
  }
  if (/^[A-Za-z0-9_-]+$/.test(text)) {
    const key = Buffer.from(text, "base64url");
    return text.length === 43 && key.length === 32 ? { key } : { problem: `${key.length} bytes (${text.length} base64url characters)` };
  }
  return { problem: `a ${text.length}-character value that is neither hex nor base64url` };
}

function issuerProblems(issuer: string): { url?: URL; problems: WardError[] } {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return { problems: [new WardError("config_issuer_invalid", { received: issuer, reason: "it is not an absolute URL" })] };
  }
  const reasons: string[] = [];
  if (url.protocol !== "https:" && url.protocol !== "http:") reasons.push(`its scheme is ${url.protocol} instead of https:`);
  if (url.search || issuer.includes("?")) reasons.push("it has a query string");
  if (url.hash || issuer.includes("#")) reasons.push("it has a fragment");
  if (url.username || url.password) reasons.push("it contains credentials");
  if (issuer.endsWith("/")) reasons.push("it ends with '/', and clients compare the issuer byte for byte: remove the trailing slash");
  return {
    url,
    problems: reasons.map((reason) => new WardError("config_issuer_invalid", { received: issuer, reason })),
  };
}

function secretProblems(key: string, value: string | undefined, missing: WardError | undefined): WardError[] {
  if (value === undefined) return missing ? [missing] : [];
  const hint = weakSecretHint(value);
  if (hint) return [new WardError("config_weak_secret", { key, hint })];
  if (value.length < 32) return [new WardError("config_secret_too_short", { key, length: value.length, minimum: 32 })];
  return [];
}

/** True when the issuer is on the local machine: relaxed (development) rules apply. */
export function isLoopbackIssuer(config: WardConfig): boolean {
  try {
    return isLoopbackHostname(new URL(config.server.issuer).hostname);
  } catch {
    return false;
  }
}

/**
 * Boot validation: every reason this configuration is unsafe to serve, one error per key. A
 * loopback issuer (development) only gets the format checks; any other issuer is production.
 */
export function checkConfigSafety(config: WardConfig): WardError[] {
  const { url, problems } = issuerProblems(config.server.issuer);
  const production = url ? !isLoopbackHostname(url.hostname) : true;
  const adminPublic = !isLoopbackHostname(config.admin.host) && config.admin.host !== "localhost";
  const issuer = config.server.issuer;
  const reason = production ? `server.issuer ${issuer} is not loopback` : `admin.host ${config.admin.host} is not loopback`;
  if (url && production && url.protocol === "http:") problems.push(new WardError("config_issuer_not_https", { received: issuer }));
  if (production || adminPublic) {
    problems.push(
      ...secretProblems(
        "session.secret",
        config.session.secret,
        production ? new WardError("config_session_secret_missing", { reason, received: "not set" }) : undefined,
      ),
      ...secretProblems(
        "admin.api_key",
        config.admin.api_key,
        new WardError("config_admin_api_key_missing", { reason, received: "not set" }),
      ),
    );
  }
  if (!databaseKindOf(config.database.url))
    problems.push(new WardError("database_url_invalid", { received: redactUrl(config.database.url) }));
  if (config.secrets.master_key === undefined) {
    if (production) problems.push(new WardError("config_master_key_missing", { reason, received: "not set" }));
    else if (config.database.url !== "sqlite::memory:") {
      const persistent = `database.url ${redactUrl(config.database.url)} keeps data across restarts, and signing keys encrypted under a throwaway key would be unreadable after one`;
      problems.push(new WardError("config_master_key_missing", { reason: persistent, received: "not set" }));
    }
  } else {
    const decoded = decodeMasterKey(config.secrets.master_key);
    if ("problem" in decoded) problems.push(new WardError("config_master_key_invalid", { received: decoded.problem }));
    else if (new Set(decoded.key).size <= 2) {
      problems.push(new WardError("config_weak_secret", { key: "secrets.master_key", hint: "its 32 bytes are not random" }));
    }
  }
  if (url && !production && !isLoopbackHostname(config.server.host)) {
    problems.push(new WardError("config_loopback_issuer_on_public_listener", { host: config.server.host, issuer }));
  }
  if (production && config.keys.publish_ahead < config.keys.jwks_max_age) {
    problems.push(
      new WardError("config_invalid_value", {
        key: "keys.publish_ahead",
        received: String(config.keys.publish_ahead),
        expected: `at least keys.jwks_max_age (${config.keys.jwks_max_age}), so verifiers with a cached JWKS know a key before it signs`,
      }),
    );
  }
  const rotationMs = parseDuration(config.keys.rotation_interval);
  if (rotationMs !== undefined && rotationMs < (config.keys.publish_ahead + 3600) * 1000) {
    problems.push(
      new WardError("config_invalid_value", {
        key: "keys.rotation_interval",
        received: JSON.stringify(config.keys.rotation_interval),
        expected: `off, or at least keys.publish_ahead + 1h (${config.keys.publish_ahead + 3600} s); rotations are meant to be days apart, e.g. 90d`,
      }),
    );
  }
  if (adminPublic && !config.admin.tls_terminated) {
    problems.push(new WardError("config_admin_public_without_tls", { received: config.admin.host }));
  }
  return problems;
}

/** One line per problem: the code, what is wrong (naming the key) and the fix. */
export function formatProblemLine(problem: WardError): string {
  return `✗ ${problem.code}: ${problem.message} Fix: ${problem.definition.fix}`;
}
