import { WardError } from "@ward/core";
import type { Context } from "hono";
import { decodeJwt, type JWTPayload, jwtVerify } from "jose";
import { verifySecret } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import type { ClientRecord } from "../store/clients.js";
import { claimJti } from "../store/used-jtis.js";
import { verifyWithKeys } from "./client-jwks.js";
import type { ServerContext } from "./context.js";
import { findClient } from "./find-client.js";

const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Asymmetric algorithms only: an HMAC assertion would need the secret private_key_jwt exists to avoid. */
export const ASSERTION_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"];
/** Longest lifetime accepted for a client assertion (its jti is remembered that long). */
const MAX_ASSERTION_LIFETIME_S = 600;

type Presented =
  | { method: "client_secret_basic"; client_id: string; secret: string }
  | { method: "client_secret_post"; client_id: string; secret: string }
  | { method: "private_key_jwt"; client_id: string; assertion: string }
  | { method: "none"; client_id: string };

function basicCredentials(header: string): { client_id: string; secret: string } {
  const encoded = header.slice(6).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new WardError("client_basic_auth_malformed", { reason: "the value is not base64" });
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0)
    throw new WardError("client_basic_auth_malformed", { reason: "the decoded value has no ':' between client_id and secret" });
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, " "));
    } catch {
      throw new WardError("client_basic_auth_malformed", { reason: "client_id or secret is not valid form-urlencoding (RFC 6749 §2.3.1)" });
    }
  };
  const credentials = { client_id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  if (`${credentials.client_id}${credentials.secret}`.includes("\u0000")) {
    throw new WardError("client_basic_auth_malformed", { reason: "client_id or secret contains a NUL character" });
  }
  return credentials;
}

/** What the request presents: exactly one way of authenticating, or a public client_id alone. */
function presented(c: Context<WardEnv>, params: URLSearchParams, endpoint: string): Presented {
  const authorization = c.req.header("authorization");
  const basic = authorization?.toLowerCase().startsWith("basic ") ? basicCredentials(authorization) : undefined;
  const postSecret = params.get("client_secret");
  const assertion = params.get("client_assertion");
  const methods = [
    basic && "client_secret_basic",
    postSecret !== null && "client_secret_post",
    assertion !== null && "private_key_jwt",
  ].filter((m): m is string => typeof m === "string");
  if (methods.length > 1) throw new WardError("client_auth_multiple_methods", { count: methods.length, methods: methods.join(", ") });
  const bodyClientId = params.get("client_id") || undefined;
  if (basic) {
    if (bodyClientId !== undefined && bodyClientId !== basic.client_id) {
      throw new WardError("client_basic_auth_malformed", {
        reason: `its client_id ${basic.client_id} differs from the client_id ${bodyClientId} in the body`,
      });
    }
    return { method: "client_secret_basic", ...basic };
  }
  if (assertion !== null) {
    if (params.get("client_assertion_type") !== JWT_BEARER_ASSERTION) {
      throw new WardError("client_assertion_invalid", {
        client_id: bodyClientId ?? "(unknown)",
        reason: `client_assertion_type is ${JSON.stringify(params.get("client_assertion_type") ?? "missing")}, expected ${JWT_BEARER_ASSERTION}`,
      });
    }
    let subject: string | undefined;
    try {
      subject = decodeJwt(assertion).sub;
    } catch {
      throw new WardError("client_assertion_invalid", { client_id: bodyClientId ?? "(unknown)", reason: "it is not a JWT" });
    }
    const clientId = bodyClientId ?? subject;
    if (!clientId)
      throw new WardError("client_assertion_invalid", { client_id: "(unknown)", reason: "it has no sub and the body no client_id" });
    return { method: "private_key_jwt", client_id: clientId, assertion };
  }
  if (bodyClientId === undefined) throw new WardError("client_not_identified", { endpoint });
  if (postSecret !== null) return { method: "client_secret_post", client_id: bodyClientId, secret: postSecret };
  return { method: "none", client_id: bodyClientId };
}

/** Verifies the assertion against the client's inline jwks, or its jwks_uri (re-fetched once on an unknown kid). */
/** RFC 7523 §3: the token endpoint or the issuer; RFC 9126 §2 adds the PAR endpoint for pushes. */
function assertionAudiences(ctx: ServerContext, endpoint: string): string[] {
  const audiences = [ctx.issuer, ctx.endpoints.token];
  if (endpoint === "/par") audiences.push(ctx.endpoints.pushed_authorization_request);
  return audiences;
}

async function verifiedAssertionPayload(
  ctx: ServerContext,
  client: ClientRecord,
  assertion: string,
  endpoint: string,
): Promise<JWTPayload> {
  const fail = (reason: string) => new WardError("client_assertion_invalid", { client_id: client.client_id, reason });
  const verify = async (keys: Parameters<typeof jwtVerify>[1]) =>
    (
      await jwtVerify(assertion, keys as never, {
        issuer: client.client_id,
        subject: client.client_id,
        audience: assertionAudiences(ctx, endpoint),
        algorithms: ASSERTION_ALGORITHMS,
        requiredClaims: ["exp", "jti"],
        currentDate: new Date(ctx.now()),
        clockTolerance: 30,
      })
    ).payload;
  return verifyWithKeys(ctx.clientKeys, client, verify, fail, "the client has no registered keys (jwks or jwks_uri)");
}

async function verifyAssertion(ctx: ServerContext, client: ClientRecord, assertion: string, endpoint: string): Promise<void> {
  const fail = (reason: string) => new WardError("client_assertion_invalid", { client_id: client.client_id, reason });
  const payload = await verifiedAssertionPayload(ctx, client, assertion, endpoint);
  const now = ctx.now();
  const exp = (payload.exp as number) * 1000;
  if (exp - now > MAX_ASSERTION_LIFETIME_S * 1000) throw fail(`exp is more than ${MAX_ASSERTION_LIFETIME_S} seconds ahead`);
  if (!(await claimJti(ctx.db, ctx.tenantId, `client_assertion:${client.client_id}:${payload.jti}`, exp + 30_000, now))) {
    throw new WardError("client_assertion_reused", { client_id: client.client_id, jti: JSON.stringify(payload.jti) });
  }
}

/**
 * Client authentication (RFC 6749 §2.3, RFC 7523 §2.2): the method the client registered, and only
 * it; secrets compared in constant time against their hash. Public clients send client_id alone.
 */
export async function authenticateClient(
  c: Context<WardEnv>,
  ctx: ServerContext,
  params: URLSearchParams,
  endpoint: string,
): Promise<ClientRecord> {
  const credentials = presented(c, params, endpoint);
  const client = credentials.client_id.length <= 256 ? await findClient(ctx, credentials.client_id) : undefined;
  if (!client) throw new WardError("client_unknown", { client_id: JSON.stringify(credentials.client_id.slice(0, 256)) });
  const registered = client.token_endpoint_auth_method;
  if (registered === "none") {
    if (credentials.method === "client_secret_basic" || credentials.method === "client_secret_post") {
      throw new WardError("client_public_secret_sent", { client_id: client.client_id });
    }
    if (credentials.method !== "none")
      throw new WardError("client_auth_method_mismatch", { client_id: client.client_id, registered, received: credentials.method });
    return client;
  }
  if (credentials.method === "none")
    throw new WardError("client_authentication_missing", { client_id: client.client_id, method: registered });
  if (credentials.method !== registered) {
    throw new WardError("client_auth_method_mismatch", { client_id: client.client_id, registered, received: credentials.method });
  }
  if (credentials.method === "private_key_jwt") {
    await verifyAssertion(ctx, client, credentials.assertion, endpoint);
    return client;
  }
  if (secretAccepted(ctx, client, credentials.secret)) return client;
  // The record may be another instance's cached copy from before a rotation: confirm a refusal against the database.
  ctx.records.clients.forget(client.client_id);
  const current = await findClient(ctx, client.client_id);
  if (!current) throw new WardError("client_unknown", { client_id: JSON.stringify(client.client_id) });
  if (current.token_endpoint_auth_method === registered && secretAccepted(ctx, current, credentials.secret)) return current;
  throw new WardError("client_secret_invalid", {
    client_id: current.client_id,
    rotated_at: current.secret_rotated_at ? new Date(current.secret_rotated_at).toISOString() : "never",
  });
}

/** The secret matches the stored hash (constant time) and has not expired. */
function secretAccepted(ctx: ServerContext, client: ClientRecord, secret: string): boolean {
  const expired = client.client_secret_expires_at && client.client_secret_expires_at > 0 && client.client_secret_expires_at <= ctx.now();
  return Boolean(client.client_secret_hash && !expired && verifySecret(secret, client.client_secret_hash));
}
