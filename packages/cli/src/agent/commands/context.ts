import { agentPaths, agentPort } from "../paths.js";
import { isUrl, mcpProviderName } from "../providers/mcp.js";
import { findProvider } from "../providers/registry.js";
import { CredentialStore } from "../store/credential-store.js";

/** What every agent command starts from: paths, port, the open store and (when named) the provider. */
export async function agentContext() {
  const paths = agentPaths();
  const store = await CredentialStore.open(paths);
  // The key is in memory now; no child (`ward run`'s command, the browser, the daemon) may inherit it.
  delete process.env.WARD_AGENT_MASTER_KEY;
  return { paths, port: agentPort(), store, provider: (name: string) => findProvider(paths, isUrl(name) ? mcpProviderName(name) : name) };
}

export type AgentContext = Awaited<ReturnType<typeof agentContext>>;

/** `gho_…(40 characters)`: enough to recognise a secret, not to use it. */
export function redact(secret: string | undefined): string | undefined {
  if (secret === undefined) return undefined;
  return `${secret.slice(0, Math.min(4, Math.floor(secret.length / 4)))}…(${secret.length} characters)`;
}
