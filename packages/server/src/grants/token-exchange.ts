import { WardError } from "@ward/core";
import { checkScopesDeclaredOnResource, formatScopes, parseScope, resolveResource } from "../authorize/scopes.js";
import { param } from "../http/params.js";
import { describeProofKey } from "../oauth/dpop.js";
import { formatAge } from "../oauth/format.js";
import type { TokenResponse } from "../oauth/issue.js";
import { issueStandaloneAccessToken } from "../oauth/standalone-token.js";
import { type ActClaim, lifetimes } from "../oauth/tokens.js";
import { type VerifiedAccessToken, verifyAccessToken } from "../oauth/verify-access-token.js";
import type { ResourceRecord } from "../store/resources.js";
import type { GrantRequest } from "./authorization-code.js";
import { requireConfidentialClient } from "./confidential.js";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
/** Token types Ward accepts as subject or actor: its own access tokens (RFC 8693 §3). */
const ACCEPTED_TOKEN_TYPES = [ACCESS_TOKEN_TYPE];
/** A Ward access token, even with a long act chain, stays well under this. */
const MAX_TOKEN_LENGTH = 8192;

/** What the checks have established so far. */
interface Exchange extends GrantRequest {
  subject?: VerifiedAccessToken;
  actor?: VerifiedAccessToken;
  resource?: ResourceRecord;
  scope?: string[];
  act?: ActClaim | undefined;
  lifetime?: number;
}

type Check = (exchange: Exchange) => void | Promise<void>;

const subjectOf = (exchange: Exchange) => exchange.subject as VerifiedAccessToken;

function tokenType(params: URLSearchParams, parameter: string): string {
  const value = param(params, parameter, "token_parameter_invalid", 256);
  if (value === undefined) throw new WardError("token_parameter_missing", { endpoint: "token exchange", parameter });
  if (!ACCEPTED_TOKEN_TYPES.includes(value)) {
    throw new WardError("token_exchange_token_type_unsupported", {
      parameter,
      received: JSON.stringify(value),
      supported: ACCEPTED_TOKEN_TYPES.join(", "),
    });
  }
  return value;
}

/** Verifies a presented Ward access token, turning its failure into the exchange's own code for that role. */
async function verifiedToken(
  exchange: Exchange,
  token: string,
  type: string,
  code: "token_exchange_subject_token_invalid" | "token_exchange_actor_token_invalid",
): Promise<VerifiedAccessToken> {
  try {
    return await verifyAccessToken(exchange.ctx, token);
  } catch (error) {
    if (error instanceof WardError) throw new WardError(code, { token_type: type, reason: `${error.message} (${error.code})` });
    throw error;
  }
}

const confidentialClient: Check = ({ client }) => requireConfidentialClient(client, TOKEN_EXCHANGE_GRANT);

const requestedTypeIsAccessToken: Check = ({ params }) => {
  const requested = param(params, "requested_token_type", "token_parameter_invalid", 256);
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
    throw new WardError("token_exchange_token_type_unsupported", {
      parameter: "requested_token_type",
      received: JSON.stringify(requested),
      supported: ACCESS_TOKEN_TYPE,
    });
  }
};

const subjectTokenValid: Check = async (exchange) => {
  const type = tokenType(exchange.params, "subject_token_type");
  const token = param(exchange.params, "subject_token", "token_parameter_invalid", MAX_TOKEN_LENGTH);
  if (token === undefined) throw new WardError("token_parameter_missing", { endpoint: "token exchange", parameter: "subject_token" });
  exchange.subject = await verifiedToken(exchange, token, type, "token_exchange_subject_token_invalid");
};

const actorTokenValid: Check = async (exchange) => {
  const { params, client } = exchange;
  const token = param(params, "actor_token", "token_parameter_invalid", MAX_TOKEN_LENGTH);
  const hasType = params.get("actor_token_type") !== null;
  if (token === undefined && !hasType) return;
  if (token === undefined || !hasType) {
    throw new WardError("token_exchange_actor_token_type_missing", {
      present: token === undefined ? "actor_token_type" : "actor_token",
      missing: token === undefined ? "actor_token" : "actor_token_type",
    });
  }
  const actor = await verifiedToken(exchange, token, tokenType(params, "actor_token_type"), "token_exchange_actor_token_invalid");
  if (actor.payload.client_id !== client.client_id) {
    throw new WardError("token_exchange_actor_token_foreign", { actor_client_id: actor.payload.client_id, client_id: client.client_id });
  }
  exchange.actor = actor;
};

const boundKey = (token: VerifiedAccessToken) => (token.payload.cnf as { jkt?: string } | undefined)?.jkt;

/** A DPoP-bound subject token is exchanged only for a DPoP-bound token (no proof of the subject's key: the caller that presented it holds that). */
const subjectSenderConstraintKept: Check = (exchange) => {
  const jkt = boundKey(subjectOf(exchange));
  if (jkt !== undefined && exchange.dpopJkt === undefined)
    throw new WardError("token_exchange_subject_dpop_unproven", { subject_jkt: jkt });
};

/** The actor token is the client's own: when DPoP-bound, the exchange's proof must be by its key. */
const actorKeyProven: Check = (exchange) => {
  const jkt = exchange.actor ? boundKey(exchange.actor) : undefined;
  if (jkt !== undefined && exchange.dpopJkt !== jkt)
    throw new WardError("token_exchange_actor_dpop_key_mismatch", { expected: jkt, received: describeProofKey(exchange.dpopJkt) });
};

/** RFC 8693 §4.4: a subject token naming who may act for it accepts no other actor (the actor token's sub, else the client). */
const mayActHonoured: Check = (exchange) => {
  const mayAct = subjectOf(exchange).payload.may_act as { sub?: unknown } | undefined;
  if (mayAct === undefined) return;
  const actor = exchange.actor?.payload.sub ?? exchange.client.client_id;
  if (mayAct.sub !== actor) throw new WardError("token_exchange_may_act_mismatch", { allowed: JSON.stringify(mayAct.sub), actor });
};

/** One registered resource (resource or audience, RFC 8693 §2.1) that lists the client in token_exchange_clients. */
const targetAllowed: Check = async (exchange) => {
  const { ctx, client, params } = exchange;
  const resources = params.getAll("resource");
  const audience = param(params, "audience", "token_parameter_invalid", 2000);
  if (resources.length === 1 && audience !== undefined && resources[0] !== audience) {
    throw new WardError("token_exchange_target_conflict", {
      first: `resource ${JSON.stringify(resources[0])}`,
      second: `audience ${JSON.stringify(audience)}`,
    });
  }
  const targets = resources.length > 0 ? resources : audience !== undefined ? [audience] : [];
  if (targets.length === 0) throw new WardError("token_exchange_target_missing", {});
  const record = (await resolveResource(ctx, targets, [])) as ResourceRecord;
  if (!(record.token_exchange_clients ?? []).includes(client.client_id)) {
    throw new WardError("token_exchange_target_not_allowed", { client_id: client.client_id, target: record.uri });
  }
  exchange.resource = record;
};

/** Scopes only narrow: the requested ones must all be in the subject token; none requested keeps those the target declares. */
const scopeNarrowed: Check = (exchange) => {
  const resource = exchange.resource as ResourceRecord;
  const held = parseScope(subjectOf(exchange).payload.scope);
  const requested = parseScope(param(exchange.params, "scope", "token_parameter_invalid", 2048));
  const extra = requested.filter((scope) => !held.includes(scope));
  if (extra.length > 0) throw new WardError("token_exchange_scope_widened", { extra: extra.join(" "), subject_scope: formatScopes(held) });
  const scope = requested.length > 0 ? requested : held.filter((name) => resource.scopes.some((s) => s.name === name));
  checkScopesDeclaredOnResource(resource, scope, exchange.ctx.issuer);
  exchange.scope = scope;
};

function chainLength(act: ActClaim | undefined): number {
  return act === undefined ? 0 : 1 + chainLength(act.act);
}

function chainText(act: ActClaim | undefined): string {
  return act === undefined ? "" : [act.sub, chainText(act.act)].filter(Boolean).join(" ← ");
}

/** Delegation puts the actor in front of the subject token's chain (RFC 8693 §4.1); impersonation keeps the chain as it is. */
const delegationChainBounded: Check = (exchange) => {
  const previous = subjectOf(exchange).payload.act as ActClaim | undefined;
  const actor = exchange.actor?.payload;
  const act: ActClaim | undefined = actor
    ? { sub: actor.sub, client_id: actor.client_id, ...(previous ? { act: previous } : {}) }
    : previous;
  const max = exchange.ctx.config.token_exchange.max_chain_depth;
  const depth = chainLength(act);
  if (depth > max) throw new WardError("token_exchange_chain_too_deep", { depth, chain: chainText(act), max });
  exchange.act = act;
};

/** The new token never outlives the subject token. */
const lifetimeWithinSubject: Check = (exchange) => {
  const { ctx, client } = exchange;
  const remaining = Math.floor(((subjectOf(exchange).payload.exp as number) * 1000 - ctx.now()) / 1000);
  if (remaining < 1) throw new WardError("token_exchange_lifetime_exhausted", { remaining: formatAge(Math.max(0, remaining) * 1000) });
  exchange.lifetime = Math.min(lifetimes(ctx, client, exchange.resource).access, remaining);
};

/** grant_type=urn:ietf:params:oauth:grant-type:token-exchange, in this order. */
const CHECKS: readonly Check[] = [
  confidentialClient,
  requestedTypeIsAccessToken,
  subjectTokenValid,
  actorTokenValid,
  subjectSenderConstraintKept,
  actorKeyProven,
  mayActHonoured,
  targetAllowed,
  scopeNarrowed,
  delegationChainBounded,
  lifetimeWithinSubject,
];

/**
 * Token exchange (RFC 8693): a confidential client trades a Ward access token (the subject) for one
 * for another resource, for the same sub, with scopes narrowed, never outliving the subject token.
 * With an actor_token (the client's own access token) the new token names the actor in a nested
 * `act` claim (delegation); without, it keeps the subject token's chain (impersonation). No refresh
 * token: the exchanged token lives and dies with the subject token (same token family).
 */
export async function tokenExchangeGrant(request: GrantRequest): Promise<TokenResponse> {
  const exchange: Exchange = { ...request };
  for (const check of CHECKS) await check(exchange);
  const { ctx, client, requestId } = exchange;
  const subject = subjectOf(exchange);
  const resource = exchange.resource as ResourceRecord;
  const response = await issueStandaloneAccessToken(ctx, {
    grantType: TOKEN_EXCHANGE_GRANT,
    client,
    subject: subject.payload.sub,
    resource,
    scope: exchange.scope as string[],
    lifetime: exchange.lifetime as number,
    requestId,
    dpopJkt: exchange.dpopJkt,
    familyId: subject.family_id,
    auth_time: typeof subject.payload.auth_time === "number" ? subject.payload.auth_time * 1000 : null,
    act: exchange.act,
    auditType: "token.exchanged",
    auditData: {
      mode: exchange.actor ? "delegation" : "impersonation",
      subject_token_jti: subject.payload.jti,
      subject_token_client_id: subject.payload.client_id,
      actor_token_jti: exchange.actor?.payload.jti ?? null,
      act: exchange.act ?? null,
    },
  });
  return { ...response, issued_token_type: ACCESS_TOKEN_TYPE };
}
