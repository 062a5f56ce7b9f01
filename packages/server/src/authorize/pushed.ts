import { WardError } from "@ward/core";
import { hashSecret, randomToken } from "../crypto/tokens.js";
import { shown } from "../http/params.js";
import type { ServerContext } from "../oauth/context.js";
import { formatAge } from "../oauth/format.js";
import type { ClientRecord } from "../store/clients.js";
import { claimPushedRequest, getPushedRequest, insertPushedRequest, type PushedRequestRecord } from "../store/pushed-requests.js";

/** RFC 9126 §2.2: the request_uri is a URN of this namespace followed by an unguessable reference. */
export const REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:";

/** Parameters of client authentication (RFC 6749 §2.3, RFC 7523): they authenticate the push and are never stored. */
const CLIENT_AUTHENTICATION_PARAMETERS = ["client_secret", "client_assertion", "client_assertion_type"];

/** The authorization parameters of a push: client authentication removed, client_id the authenticated client's. */
export function pushedAuthorizationParameters(params: URLSearchParams, client: ClientRecord): URLSearchParams {
  const kept = new URLSearchParams();
  for (const [name, value] of params)
    if (!CLIENT_AUTHENTICATION_PARAMETERS.includes(name) && name !== "client_id") kept.append(name, value);
  kept.set("client_id", client.client_id);
  return kept;
}

/** RFC 9126 §2.1: a push carries the parameters themselves, never a reference to another request. */
export function refuseRequestUriInPush(params: URLSearchParams): void {
  const uri = params.get("request_uri");
  if (uri !== null) throw new WardError("request_uri_in_pushed_request", { received: shown(uri) });
}

/**
 * RFC 9449 §10.1: a DPoP proof sent with the push binds the code to its key, as dpop_jkt does; when
 * both are sent they must name the same key. Runs after the /authorize checks (dpop_jkt well formed).
 */
export function bindPushToProofKey(params: URLSearchParams, proofJkt: string | undefined): void {
  if (proofJkt === undefined) return;
  const named = params.get("dpop_jkt");
  if (named !== null && named !== proofJkt) throw new WardError("dpop_jkt_proof_mismatch", { dpop_jkt: shown(named), proof_jkt: proofJkt });
  params.set("dpop_jkt", proofJkt);
}

/** Stores validated pushed parameters; returns the request_uri (only its hash is stored) and its lifetime. */
export async function storePushedRequest(
  ctx: ServerContext,
  client: ClientRecord,
  parameters: URLSearchParams,
): Promise<{ request_uri: string; expires_in: number }> {
  const requestUri = `${REQUEST_URI_PREFIX}${randomToken()}`;
  const ttl = ctx.config.par.request_uri_ttl;
  const now = ctx.now();
  await insertPushedRequest(ctx.db, ctx.tenantId, {
    request_uri_hash: hashSecret(requestUri),
    client_id: client.client_id,
    parameters: parameters.toString(),
    created_at: now,
    expires_at: now + ttl * 1000,
    used_at: null,
  });
  return { request_uri: requestUri, expires_in: ttl };
}

interface Redeeming {
  ctx: ServerContext;
  client: ClientRecord;
  requestUri: string;
  pushed?: PushedRequestRecord;
}

type RedeemCheck = (state: Redeeming) => void | Promise<void>;

const pushedOf = (state: Redeeming) => state.pushed as PushedRequestRecord;

const requestUriIsPushedUrn: RedeemCheck = ({ requestUri }) => {
  if (!requestUri.startsWith(REQUEST_URI_PREFIX)) throw new WardError("request_uri_unsupported", { received: shown(requestUri) });
};

const requestUriKnown: RedeemCheck = async (state) => {
  const pushed =
    state.requestUri.length <= 256 ? await getPushedRequest(state.ctx.db, state.ctx.tenantId, hashSecret(state.requestUri)) : undefined;
  if (!pushed) throw new WardError("request_uri_unknown", { received: shown(state.requestUri), client_id: state.client.client_id });
  state.pushed = pushed;
};

/** Checked before the request_uri is spent: another client's attempt leaves it usable by its owner. */
const requestUriBoundToClient: RedeemCheck = (state) => {
  const pushed = pushedOf(state);
  if (pushed.client_id !== state.client.client_id) {
    throw new WardError("request_uri_client_mismatch", { pushed_by: pushed.client_id, client_id: state.client.client_id });
  }
};

const requestUriUnused: RedeemCheck = (state) => {
  const pushed = pushedOf(state);
  if (pushed.used_at !== null) {
    throw new WardError("request_uri_reused", { client_id: pushed.client_id, used_at: new Date(pushed.used_at).toISOString() });
  }
};

const requestUriFresh: RedeemCheck = (state) => {
  const pushed = pushedOf(state);
  const now = state.ctx.now();
  if (pushed.expires_at <= now) {
    throw new WardError("request_uri_expired", {
      client_id: pushed.client_id,
      pushed_at: new Date(pushed.created_at).toISOString(),
      age: formatAge(now - pushed.created_at),
      lifetime: formatAge(pushed.expires_at - pushed.created_at),
    });
  }
};

/** The compare-and-set: of two concurrent uses, the second is told the request_uri was already used. */
const requestUriClaimed: RedeemCheck = async (state) => {
  const now = state.ctx.now();
  if (!(await claimPushedRequest(state.ctx.db, state.ctx.tenantId, pushedOf(state).request_uri_hash, now))) {
    throw new WardError("request_uri_reused", { client_id: state.client.client_id, used_at: "the same moment, by a concurrent request" });
  }
};

/** Run in this order at /authorize on a request_uri; every failure is shown as a page (no redirect_uri is known yet). */
export const REQUEST_URI_CHECKS: readonly RedeemCheck[] = [
  requestUriIsPushedUrn,
  requestUriKnown,
  requestUriBoundToClient,
  requestUriUnused,
  requestUriFresh,
  requestUriClaimed,
];

/** Spends a request_uri of `client` and returns the parameters it pushed (RFC 9126 §4). */
export async function redeemPushedRequest(ctx: ServerContext, client: ClientRecord, requestUri: string): Promise<URLSearchParams> {
  const state: Redeeming = { ctx, client, requestUri };
  for (const check of REQUEST_URI_CHECKS) await check(state);
  return new URLSearchParams(pushedOf(state).parameters);
}
