import type { ProviderDefinition } from "./providers/types.js";
import type { Connection } from "./store/model.js";

/** The environment variable a provider's secret goes in: its declared one, else <NAME>_ACCESS_TOKEN / <NAME>_API_KEY. */
export function envVarName(provider: ProviderDefinition, connection: Connection): string {
  if (connection.kind === "api_key")
    return provider.api_key?.env_var ?? `${provider.name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_API_KEY`;
  return provider.env_var ?? `${provider.name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_ACCESS_TOKEN`;
}

export function secretOf(connection: Connection): string | undefined {
  return connection.kind === "api_key" ? connection.api_key : connection.access_token;
}
