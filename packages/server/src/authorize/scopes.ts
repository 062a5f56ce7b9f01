import { closestMatches, WardError } from "@ward/core";
import type { ServerContext } from "../oauth/context.js";
import { findResource } from "../oauth/find-resource.js";
import type { ClientRecord } from "../store/clients.js";
import { listResources, type ResourceRecord } from "../store/resources.js";

/** The OpenID Connect scopes every client may ask for (unless its `scope` narrows them), with the consent text. */
export const OIDC_SCOPES: Readonly<Record<string, string>> = {
  openid: "Sign you in and know who you are",
  profile: "See your name",
  email: "See your email address",
  offline_access: "Stay connected when you are not using it (refresh tokens)",
};

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Splits a scope parameter into its distinct tokens (order kept); `scope_malformed` on anything else. */
export function parseScope(text: string | undefined): string[] {
  if (text === undefined) return [];
  const tokens = text.split(" ").filter((token) => token !== "");
  if (tokens.some((token) => !SCOPE_TOKEN.test(token)) || /[^\x20-\x7E]/.test(text)) {
    throw new WardError("scope_malformed", { received: JSON.stringify(text.slice(0, 200)) });
  }
  return [...new Set(tokens)];
}

export const formatScopes = (scopes: readonly string[]): string => (scopes.length === 0 ? "(none)" : scopes.join(" "));

/** Scopes that are not OpenID Connect scopes: they belong to a resource. */
export const resourceScopes = (scopes: readonly string[]): string[] => scopes.filter((s) => !(s in OIDC_SCOPES));

/** RFC 8707 §2: an absolute URI without a fragment; the reason it is not, or undefined. */
function resourceUriProblem(value: string): string | undefined {
  if (value.includes("#")) return "has a fragment";
  try {
    new URL(value);
    return undefined;
  } catch {
    return "is not an absolute URI";
  }
}

/**
 * The resource (token audience) of a request: the `resource` parameter when given (one per request,
 * registered byte for byte), else the one resource declaring every non-OpenID scope asked for.
 * Undefined when only OpenID scopes are asked for (the token then serves /userinfo only).
 */
export async function resolveResource(
  ctx: ServerContext,
  requested: readonly string[],
  scopes: readonly string[],
): Promise<ResourceRecord | undefined> {
  if (requested.length > 1) {
    throw new WardError("resource_invalid", {
      received: requested.map((r) => JSON.stringify(r)).join(", "),
      reason: `is ${requested.length} resources, but Ward issues each token for one audience: ask for one resource per authorization`,
    });
  }
  const uri = requested[0];
  if (uri !== undefined) {
    const problem = resourceUriProblem(uri);
    if (problem) throw new WardError("resource_invalid", { received: JSON.stringify(uri), reason: problem });
    const resource = await findResource(ctx, uri);
    if (!resource) {
      const all = await listResources(ctx.db, ctx.tenantId);
      const [closest] = closestMatches(
        uri,
        all.map((r) => r.uri),
        1,
      );
      throw new WardError("resource_unknown", {
        received: JSON.stringify(uri),
        closest: closest ? ` (closest registered: ${closest})` : "",
      });
    }
    return resource;
  }
  const wanted = resourceScopes(scopes);
  if (wanted.length === 0) return undefined;
  const all = await listResources(ctx.db, ctx.tenantId);
  const holders = all.filter((r) => wanted.every((scope) => r.scopes.some((s) => s.name === scope)));
  if (holders.length === 1) return holders[0];
  const reason =
    holders.length === 0
      ? `no registered resource declares all of ${wanted.join(" ")}`
      : `${holders.length} resources declare them (${holders.map((r) => r.uri).join(", ")})`;
  throw new WardError("resource_missing", { scope: formatScopes(scopes), reason });
}

/** The scopes the client may request: its registered `scope`, or everything when it has none. */
export function checkScopesAllowedForClient(client: ClientRecord, scopes: readonly string[]): void {
  if (client.scope === null || client.scope.trim() === "") return;
  const allowed = client.scope.split(" ").filter(Boolean);
  const refused = scopes.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) {
    throw new WardError("scope_not_allowed_for_client", {
      client_id: client.client_id,
      allowed: allowed.join(" "),
      scope: refused.join(" "),
    });
  }
}

/** Every non-OpenID scope must be declared on the resource (`invalid_scope`). */
export function checkScopesDeclaredOnResource(resource: ResourceRecord | undefined, scopes: readonly string[], issuer: string): void {
  const wanted = resourceScopes(scopes);
  for (const scope of wanted) {
    if (!resource?.scopes.some((s) => s.name === scope)) {
      throw new WardError("scope_not_declared_on_resource", {
        scope,
        resource: resource?.uri ?? `(none: only OpenID scopes are served by ${issuer}/userinfo)`,
        declared: resource ? resource.scopes.map((s) => s.name).join(" ") || "(none)" : "openid profile email offline_access",
      });
    }
  }
}

/** The consent text of each scope: OpenID descriptions, else the resource's own. */
export function describeScopes(scopes: readonly string[], resource: ResourceRecord | undefined): { name: string; description: string }[] {
  if (scopes.length === 0) return [{ name: "(no scope)", description: "Know which account you have here (your account identifier)" }];
  return scopes.map((name) => ({
    name,
    description: OIDC_SCOPES[name] ?? resource?.scopes.find((s) => s.name === name)?.description ?? name,
  }));
}
