/**
 * The redirect URI patterns of registration.approved_redirects. A pattern is an exact URI, or has
 * `*` in at most two places: as the whole leftmost host label (`https://*.example.com/cb` matches
 * exactly one label, never a dot) and as the last path segment (`https://app.example.com/oauth/*`
 * matches any path below `/oauth/`, without query, fragment, `..` or backslash). Everything else is
 * compared byte for byte.
 */

const HOST_WILDCARD = /^([a-z][a-z0-9+.-]*:\/\/)\*\./i;

/** Why `pattern` is not a valid approved-redirect pattern, or undefined when it is. */
export function redirectPatternProblem(pattern: string): string | undefined {
  const concrete = pattern.replace(HOST_WILDCARD, "$1wildcard.").replace(/\/\*$/, "/wildcard");
  if (concrete.includes("*")) {
    return "a `*` is only allowed as the whole leftmost host label (https://*.example.com/cb) or as the last path segment (https://app.example.com/cb/*)";
  }
  let url: URL;
  try {
    url = new URL(concrete);
  } catch {
    return "an absolute URI such as https://app.example.com/callback";
  }
  if (concrete.includes("#")) return "a URI without a fragment";
  if (pattern.endsWith("/*") && url.search) return "no query before a trailing /*";
  if (HOST_WILDCARD.test(pattern) && url.hostname.split(".").length < 3) {
    return "a host wildcard under a registrable domain with at least two labels (https://*.example.com, not https://*.com)";
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A matcher for one valid pattern. */
function compile(pattern: string): RegExp {
  const hostWildcard = HOST_WILDCARD.exec(pattern);
  let rest = hostWildcard ? pattern.slice(hostWildcard[0].length) : pattern;
  const pathWildcard = rest.endsWith("/*");
  if (pathWildcard) rest = rest.slice(0, -1);
  const prefix = hostWildcard ? `${escapeRegExp(hostWildcard[1] as string)}[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.` : "";
  const suffix = pathWildcard ? "[^?#\\\\]*" : "";
  return new RegExp(`^${prefix}${escapeRegExp(rest)}${suffix}$`);
}

/** True when `uri` matches one of the (valid) patterns; a path wildcard never matches a `..` or `.` segment. */
export function matchesApprovedRedirect(uri: string, patterns: readonly string[]): boolean {
  if (/\/\.\.?(\/|$)|%2e/i.test(uri)) return false;
  return patterns.some((pattern) => compile(pattern).test(uri));
}
