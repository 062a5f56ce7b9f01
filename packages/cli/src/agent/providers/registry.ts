import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { WardError } from "@ward/core";
import type { AgentPaths } from "../paths.js";
import { writeFileAtomic } from "../store/atomic-write.js";
import { BUILTIN_PROVIDERS } from "./builtin.js";
import { PROVIDER_NAME_PATTERN, validateProvider } from "./provider-schema.js";
import type { ProviderDefinition } from "./types.js";

/** Built-in providers plus the user's (providers/<name>.json), the user's winning on a shared name. */
export function listProviders(paths: AgentPaths): ProviderDefinition[] {
  const byName = new Map(BUILTIN_PROVIDERS.map((p) => [p.name, p]));
  if (existsSync(paths.providers)) {
    for (const file of readdirSync(paths.providers)
      .filter((f) => f.endsWith(".json"))
      .sort()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(join(paths.providers, file), "utf8"));
      } catch (error) {
        throw new WardError("agent_provider_invalid", {
          name: file,
          field: "(file)",
          received: `invalid JSON (${(error as Error).message})`,
          expected: "a JSON object",
        });
      }
      const provider = validateProvider(parsed);
      byName.set(provider.name, provider);
    }
  }
  return [...byName.values()];
}

export function findProvider(paths: AgentPaths, name: string): ProviderDefinition {
  const all = listProviders(paths);
  const found = all.find((p) => p.name === name);
  if (!found) throw new WardError("agent_provider_unknown", { received: name, known: all.map((p) => p.name).join(", ") });
  return found;
}

export function isBuiltin(name: string): boolean {
  return BUILTIN_PROVIDERS.some((p) => p.name === name);
}

export function saveProvider(paths: AgentPaths, provider: ProviderDefinition): string {
  mkdirSync(paths.providers, { recursive: true, mode: 0o700 });
  const path = join(paths.providers, `${provider.name}.json`);
  writeFileAtomic(path, `${JSON.stringify(validateProvider(provider), null, 2)}\n`, 0o600);
  return path;
}

/** Deletes a user provider file; false when there was none. */
export function deleteProvider(paths: AgentPaths, name: string): boolean {
  if (!PROVIDER_NAME_PATTERN.test(name)) return false; // "../x" would name a file outside providers/
  const path = join(paths.providers, `${name}.json`);
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}
