import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";

/** Trust-store variables the common runtimes read: Node, OpenSSL-based tools, Python requests, curl. */
export const CA_BUNDLE_VARS = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"] as const;

export const PROXY_PRELOAD = new URL("./fetch-preload.js", import.meta.url);

const readable = (path: string | undefined) => {
  try {
    return path ? readFileSync(path, "utf8") : "";
  } catch {
    return "";
  }
};

/**
 * Whether a NO_PROXY entry sends `host` around the proxy, as curl, undici and Python read it: `*`,
 * the host itself, or a domain it is under (`example.com` and `.example.com` both cover api.example.com).
 */
function bypasses(entry: string, host: string): boolean {
  const domain = entry
    .replace(/:\d+$/, "")
    .toLowerCase()
    .replace(/^\*?\./, "");
  return entry === "*" || host === domain || host.endsWith(`.${domain}`);
}

export interface ProxyChildEnvironment {
  env: NodeJS.ProcessEnv;
  /** Deletes the CA bundle written for the child. */
  cleanup(): void;
}

/**
 * The child's environment in proxy mode: the proxy in HTTPS_PROXY/HTTP_PROXY, a CA bundle (the
 * public roots, the bundles the caller already trusted, and the run's CA) in every trust-store
 * variable, the fetch preload in NODE_OPTIONS, and the API hosts removed from NO_PROXY so their
 * requests do reach the proxy. No credential is put in it.
 */
export function proxyChildEnv(base: NodeJS.ProcessEnv, proxyUrl: string, caPem: string, apiHosts: string[]): ProxyChildEnvironment {
  const dir = mkdtempSync(join(tmpdir(), "ward-run-proxy-"));
  const bundle = join(dir, "ca-bundle.pem");
  const trusted = [...rootCertificates, readable(base.SSL_CERT_FILE), readable(base.NODE_EXTRA_CA_CERTS), caPem];
  writeFileSync(bundle, `${trusted.filter(Boolean).join("\n")}\n`, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of CA_BUNDLE_VARS) env[name] = bundle;
  for (const name of ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]) env[name] = proxyUrl;
  const hostNames = apiHosts.map((h) => h.replace(/:\d+$/, "").toLowerCase());
  const noProxy = (base.NO_PROXY ?? base.no_proxy ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry && !hostNames.some((host) => bypasses(entry, host)));
  env.NO_PROXY = noProxy.join(",");
  env.no_proxy = env.NO_PROXY;
  env.NODE_OPTIONS = `${base.NODE_OPTIONS ?? ""} --import "${PROXY_PRELOAD.href}"`.trim();
  return { env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
