import { isLoopbackHostname } from "./loopback.js";

export interface RedirectUriPolicy {
  /** RFC 7591 application_type: native apps may use loopback IPs and private-use schemes (RFC 8252). */
  applicationType: "web" | "native";
  /** When the issuer itself is loopback (development), plain http is allowed for any host. */
  issuerIsLoopback: boolean;
}

/**
 * Why a redirect URI cannot be registered, or undefined when it can. Rules: absolute URL, no
 * fragment, no wildcard, no credentials; https, or http on a loopback host (or anywhere while the
 * issuer is loopback); private-use schemes (`com.example.app:/cb`) only for native clients.
 */
export function redirectUriRegistrationProblem(uri: string, policy: RedirectUriPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "an absolute URL such as https://app.example.com/callback";
  }
  if (uri.includes("#")) return "a URL without a fragment (#…), RFC 6749 §3.1.2";
  if (uri.includes("*")) return "an exact URL: wildcards are never matched";
  if (url.username || url.password) return "a URL without user:password@ credentials";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:") {
    if (isLoopbackHostname(url.hostname) || policy.issuerIsLoopback) return undefined;
    return "https (plain http is only allowed for loopback hosts such as http://127.0.0.1:PORT/callback)";
  }
  if (["javascript:", "data:", "file:", "vbscript:", "blob:"].includes(url.protocol)) return `a URL whose scheme is not ${url.protocol}`;
  if (policy.applicationType !== "native") {
    return `https, or application_type "native" for the private-use scheme ${url.protocol} (RFC 8252 §7.1)`;
  }
  if (!url.protocol.slice(0, -1).includes(".")) {
    return `a private-use scheme in reverse domain form, e.g. com.example.app:/callback, not ${url.protocol} (RFC 8252 §7.1)`;
  }
  return undefined;
}
