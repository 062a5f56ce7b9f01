import { hkdfSync } from "node:crypto";
import { checkDpopBinding, DpopNonces, type ReplayStore, verifyDpopProof, WardError } from "@ward/core";
import type { Context } from "hono";
import type { WardEnv } from "../http/context.js";
import { setHeader } from "../http/response-headers.js";
import type { ClientRecord } from "../store/clients.js";
import type { ResourceRecord } from "../store/resources.js";
import { claimJti } from "../store/used-jtis.js";
import type { ServerContext } from "./context.js";

/**
 * DPoP (RFC 9449) at Ward's own endpoints. The proof checks are @ward/core's (the SDK runs the same);
 * what is added here: the expected htu is built from the configured issuer (never from the Host
 * header), proof jtis are claimed in the database (every instance sees them), and nonces are
 * derived from the master key (every instance issues and accepts the same ones).
 */

/** Proof jtis in `used_jtis`, as `dpop:<jkt>:<jti>`. */
function databaseReplayStore(ctx: ServerContext): ReplayStore {
  return {
    claim: (key, ttlMs) => {
      const now = ctx.now();
      return claimJti(ctx.db, ctx.tenantId, `dpop:${key}`, now + ttlMs, now);
    },
  };
}

const nonceSources = new WeakMap<ServerContext, DpopNonces>();

/** The server's nonces when dpop.require_nonce is on: HMAC of the time slot under a key derived from the master key. */
export function serverNonces(ctx: ServerContext): DpopNonces | undefined {
  if (!ctx.config.dpop.require_nonce) return undefined;
  let nonces = nonceSources.get(ctx);
  if (!nonces) {
    const secret = Buffer.from(hkdfSync("sha256", ctx.masterKey, ctx.tenantId, "ward dpop nonce", 32));
    nonces = new DpopNonces({ secret, periodSeconds: ctx.config.dpop.nonce_lifetime, now: ctx.now });
    nonceSources.set(ctx, nonces);
  }
  return nonces;
}

/** Sets `DPoP-Nonce` to the current nonce when nonces are required (on errors and on successes alike). */
export function sendCurrentNonce(c: Context<WardEnv>, ctx: ServerContext): void {
  const nonces = serverNonces(ctx);
  if (nonces) setHeader(c, "DPoP-Nonce", nonces.current());
}

function proofOptions(ctx: ServerContext) {
  return { replay: databaseReplayStore(ctx), window: ctx.config.dpop.iat_window, nonces: serverNonces(ctx), now: ctx.now };
}

/**
 * The DPoP proof of a token request (RFC 9449 §5), checked against POST and the token endpoint URL;
 * the thumbprint of its key, or undefined when the request has no DPoP header.
 */
export function tokenRequestDpopKey(c: Context<WardEnv>, ctx: ServerContext): Promise<string | undefined> {
  return postedProofKey(c, ctx, ctx.endpoints.token);
}

/** The thumbprint of the key of a DPoP proof sent with a POST to `url` (checked as at /token), or undefined without one. */
export async function postedProofKey(c: Context<WardEnv>, ctx: ServerContext, url: string): Promise<string | undefined> {
  const proof = c.req.header("dpop");
  if (proof === undefined) return undefined;
  const { jkt } = await verifyDpopProof({ ...proofOptions(ctx), proof, method: "POST", url });
  return jkt;
}

/**
 * RFC 9449 §7.1 where Ward itself serves a token (userinfo): a bound token needs the DPoP scheme and
 * a proof with `ath` by its key; an unbound one must not use the DPoP scheme.
 */
export async function checkPresentedToken(
  c: Context<WardEnv>,
  ctx: ServerContext,
  presented: { token: string; scheme: "Bearer" | "DPoP" },
  claims: object,
  url: string,
): Promise<void> {
  const request = { method: c.req.method, url, scheme: presented.scheme, dpop: c.req.header("dpop") };
  await checkDpopBinding(presented.token, claims as { cnf?: unknown }, request, proofOptions(ctx));
}

/** RFC 9449 §5.2 `dpop_bound_access_tokens`: such a client's token requests must carry a proof. */
export function checkClientDpopRequirement(client: ClientRecord, dpopJkt: string | undefined): void {
  if (client.dpop_bound_access_tokens && dpopJkt === undefined)
    throw new WardError("dpop_required_by_client", { client_id: client.client_id });
}

/** A resource registered with `dpop_required`: tokens for it are only issued DPoP-bound. Every grant runs this once it knows the resource. */
export function checkResourceDpopRequirement(resource: ResourceRecord | undefined, dpopJkt: string | undefined): void {
  if (resource?.dpop_required && dpopJkt === undefined) throw new WardError("dpop_required_by_resource", { resource: resource.uri });
}

/** How a key is named in errors: its thumbprint, or that there was no proof. */
export const describeProofKey = (jkt: string | undefined) => (jkt === undefined ? "has no DPoP proof" : `is signed by key ${jkt}`);
