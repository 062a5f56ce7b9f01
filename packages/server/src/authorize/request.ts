import { checkAuthorizationPkce, matchRedirectUri, WardError } from "@ward/core";
import { MAX_PARAMETER_LENGTH, param, repeatedParameter, shown } from "../http/params.js";
import type { ServerContext } from "../oauth/context.js";
import { findClient } from "../oauth/find-client.js";
import type { ClientRecord } from "../store/clients.js";
import type { ResourceRecord } from "../store/resources.js";
import { redeemPushedRequest } from "./pushed.js";
import { checkScopesAllowedForClient, checkScopesDeclaredOnResource, parseScope, resolveResource } from "./scopes.js";

/** A validated authorization request, as kept while the user signs in and consents. */
export interface AuthorizationRequest {
  client_id: string;
  redirect_uri: string;
  scope: string[];
  /** The token audience (RFC 8707), or null for OpenID-only requests (served by /userinfo). */
  resource: string | null;
  state: string | null;
  nonce: string | null;
  code_challenge: string;
  prompt: string[];
  max_age: number | null;
  login_hint: string | null;
  ui_locales: string | null;
  /** The query string as received: the "start again" link of an expired sign-in repeats it. */
  original_query: string;
  /**
   * Set for a sign-in to the account page (it ends on /account, with no code and no consent) or
   * for the approval of a device (it ends by deciding the device code, always after consent).
   */
  purpose?: "account" | "device";
  /** The device code being approved (purpose "device"): its hash only. */
  device_code_hash?: string;
  /** Set when the parameters came from POST /par: there is no query string to start again from. */
  pushed?: true;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code is bound to; the token request must prove it. */
  dpop_jkt?: string | null;
}

/** Where errors may be sent once client and redirect_uri are known good. */
export interface RedirectTarget {
  redirect_uri: string;
  state: string | null;
}

/** The prompt values /authorize understands (discovery lists exactly these). */
export const PROMPTS = ["none", "login", "consent", "select_account"];
/** Parameters RFC 8707 lets a client repeat (Ward then refuses more than one, with a redirect). */
const REPEATABLE = ["resource"];

/** State of the checks: what has been validated so far. */
interface Checking {
  params: URLSearchParams;
  /** True once the parameters are those of a pushed request (at /par, or loaded from a request_uri). */
  pushed: boolean;
  ctx: ServerContext;
  client?: ClientRecord;
  target?: RedirectTarget;
  scope?: string[];
  resource?: ResourceRecord | undefined;
}

type Check = (state: Checking) => void | Promise<void>;

const clientOf = (state: Checking) => state.client as ClientRecord;

// -- Checks whose failure is shown as a page (the client or its redirect_uri is not trusted yet) --

/** RFC 6749 §3.1: each parameter at most once (resource aside); also run on the raw body of POST /par. */
export function refuseRepeatedParameters(params: URLSearchParams): void {
  const repeated = repeatedParameter(params, REPEATABLE);
  if (repeated) throw new WardError("authorize_parameter_repeated", { parameter: repeated.name, count: repeated.count });
}

const noRepeatedParameters: Check = ({ params }) => refuseRepeatedParameters(params);

const clientIdPresent: Check = ({ params }) => {
  if (!params.get("client_id")) {
    const names = [...new Set(params.keys())];
    throw new WardError("authorize_client_id_missing", { received: names.length ? names.join(", ") : "(none)" });
  }
};

const clientKnown: Check = async (state) => {
  const clientId = param(state.params, "client_id", "authorize_parameter_invalid", 256) as string;
  const client = await findClient(state.ctx, clientId);
  if (!client) throw new WardError("authorize_client_unknown", { client_id: shown(clientId), issuer: state.ctx.issuer });
  state.client = client;
};

const redirectUriPresent: Check = (state) => {
  if (!state.params.get("redirect_uri")) {
    const client = clientOf(state);
    throw new WardError("redirect_uri_missing", {
      client_id: client.client_id,
      count: client.redirect_uris.length,
      registered: client.redirect_uris.join(", ") || "(none)",
    });
  }
};

const redirectUriRegistered: Check = (state) => {
  const client = clientOf(state);
  const received = state.params.get("redirect_uri") as string;
  const match = matchRedirectUri(received, client.redirect_uris, { loopbackPortFlexibility: client.application_type === "native" });
  if (match.matched === undefined) {
    throw new WardError("redirect_uri_mismatch", {
      received: shown(received, 300),
      client_id: client.client_id,
      closest: match.closest,
      difference: match.difference,
    });
  }
  const stateParam = state.params.get("state");
  state.target = { redirect_uri: received, state: stateParam && stateParam.length <= MAX_PARAMETER_LENGTH ? stateParam : null };
};

/** RFC 9126 §4: with a request_uri, only client_id counts on the front channel; the pushed parameters replace the rest. */
const pushedRequestLoaded: Check = async (state) => {
  state.params = await redeemPushedRequest(state.ctx, clientOf(state), state.params.get("request_uri") as string);
  state.pushed = true;
};

// -- Checks whose failure is redirected to the client (with state and iss) --

/** RFC 9126 §5/§6: par.required or the client's require_pushed_authorization_requests refuse front-channel parameters. */
const pushedWhenRequired: Check = (state) => {
  if (state.pushed) return;
  const client = clientOf(state);
  const setting = state.ctx.config.par.required
    ? "par.required"
    : client.require_pushed_authorization_requests
      ? "the client's require_pushed_authorization_requests"
      : undefined;
  if (setting) {
    throw new WardError("pushed_authorization_required", {
      client_id: client.client_id,
      setting,
      par_endpoint: state.ctx.endpoints.pushed_authorization_request,
    });
  }
};

const responseTypeCode: Check = (state) => {
  const client = clientOf(state);
  const responseType = state.params.get("response_type");
  if (!responseType) throw new WardError("response_type_missing", { client_id: client.client_id });
  if (responseType !== "code") throw new WardError("response_type_unsupported", { received: shown(responseType) });
  if (!client.grant_types.includes("authorization_code") || !client.response_types.includes("code")) {
    throw new WardError("response_type_not_allowed_for_client", { client_id: client.client_id, grant_types: client.grant_types.join(" ") });
  }
};

const pkceS256: Check = (state) => {
  const problem = checkAuthorizationPkce({
    client_id: clientOf(state).client_id,
    code_challenge: state.params.get("code_challenge") ?? undefined,
    code_challenge_method: state.params.get("code_challenge_method") ?? undefined,
  });
  if (problem) throw problem;
};

const noRequestObjects: Check = ({ params }) => {
  if (params.has("request")) throw new WardError("request_object_unsupported");
};

const optionalParametersBounded: Check = ({ params }) => {
  for (const [name, max] of [
    ["state", MAX_PARAMETER_LENGTH],
    ["nonce", 512],
    ["login_hint", 320],
    ["ui_locales", 200],
    ["scope", 2048],
  ] as const) {
    param(params, name, "authorize_parameter_invalid", max);
  }
};

/** RFC 9449 §10 dpop_jkt: a base64url SHA-256 thumbprint (RFC 7638), 43 characters. */
const dpopJktWellFormed: Check = ({ params }) => {
  const jkt = params.get("dpop_jkt");
  if (jkt !== null && !/^[A-Za-z0-9_-]{43}$/.test(jkt)) throw new WardError("dpop_jkt_invalid", { received: shown(jkt) });
};

const scopeWellFormed: Check = (state) => {
  state.scope = parseScope(state.params.get("scope") ?? undefined);
};

const resourceKnown: Check = async (state) => {
  state.resource = await resolveResource(state.ctx, state.params.getAll("resource"), state.scope ?? []);
};

const scopesAllowedForClient: Check = (state) => checkScopesAllowedForClient(clientOf(state), state.scope ?? []);

const scopesDeclaredOnResource: Check = (state) => checkScopesDeclaredOnResource(state.resource, state.scope ?? [], state.ctx.issuer);

const promptUnderstood: Check = ({ params }) => {
  const raw = params.get("prompt");
  if (raw === null) return;
  const values = raw.split(" ").filter(Boolean);
  const unknown = values.filter((v) => !PROMPTS.includes(v));
  if (unknown.length > 0)
    throw new WardError("prompt_invalid", { received: shown(raw), reason: `${unknown.join(", ")} is not a prompt value` });
  if (values.includes("none") && values.length > 1)
    throw new WardError("prompt_invalid", { received: shown(raw), reason: "none is combined with other values" });
};

const maxAgeNumber: Check = ({ params }) => {
  const raw = params.get("max_age");
  if (raw !== null && !/^\d{1,9}$/.test(raw)) {
    throw new WardError("authorize_parameter_invalid", {
      parameter: "max_age",
      received: shown(raw),
      expected: "a whole number of seconds (0 or more)",
    });
  }
};

/** A front-channel request with request_uri runs these first (shown as pages), then the lists below on the pushed parameters. */
export const REQUEST_URI_PAGE_CHECKS: readonly Check[] = [noRepeatedParameters, clientIdPresent, clientKnown, pushedRequestLoaded];
/** Run in this order; the first five are shown as pages, the rest redirect to the client. */
export const PAGE_CHECKS: readonly Check[] = [
  noRepeatedParameters,
  clientIdPresent,
  clientKnown,
  redirectUriPresent,
  redirectUriRegistered,
];
export const REDIRECT_CHECKS: readonly Check[] = [
  pushedWhenRequired,
  responseTypeCode,
  pkceS256,
  noRequestObjects,
  optionalParametersBounded,
  dpopJktWellFormed,
  scopeWellFormed,
  resourceKnown,
  scopesAllowedForClient,
  scopesDeclaredOnResource,
  promptUnderstood,
  maxAgeNumber,
];

export interface ValidatedAuthorization {
  client: ClientRecord;
  resource: ResourceRecord | undefined;
  request: AuthorizationRequest;
}

/**
 * Runs every /authorize check. A failure before the redirect_uri is validated throws the error
 * alone; after, it throws `{ error, target }` so the caller can redirect it to the client.
 * `pushed`: the parameters were pushed by an authenticated client (POST /par).
 */
export async function validateAuthorizationRequest(
  ctx: ServerContext,
  initial: URLSearchParams,
  options: { pushed?: boolean } = {},
): Promise<ValidatedAuthorization> {
  const state: Checking = { params: initial, ctx, pushed: options.pushed ?? false };
  if (!state.pushed && initial.has("request_uri")) for (const check of REQUEST_URI_PAGE_CHECKS) await check(state);
  const { params } = state;
  for (const check of PAGE_CHECKS) await check(state);
  const target = state.target as RedirectTarget;
  try {
    for (const check of REDIRECT_CHECKS) await check(state);
  } catch (error) {
    if (error instanceof WardError) throw new RedirectableError(error, target);
    throw error;
  }
  const maxAge = params.get("max_age");
  return {
    client: clientOf(state),
    resource: state.resource,
    request: {
      client_id: clientOf(state).client_id,
      redirect_uri: target.redirect_uri,
      scope: state.scope ?? [],
      resource: state.resource?.uri ?? null,
      state: target.state,
      nonce: params.get("nonce") || null,
      code_challenge: params.get("code_challenge") as string,
      prompt: (params.get("prompt") ?? "").split(" ").filter(Boolean),
      max_age: maxAge === null ? null : Number(maxAge),
      login_hint: params.get("login_hint") || null,
      ui_locales: params.get("ui_locales") || null,
      dpop_jkt: params.get("dpop_jkt") || null,
      original_query: state.pushed ? "" : params.toString(),
      ...(state.pushed ? { pushed: true as const } : {}),
    },
  };
}

/** A catalog error that may be sent to the (validated) redirect_uri of the client. */
export class RedirectableError extends Error {
  constructor(
    readonly error: WardError,
    readonly target: RedirectTarget,
  ) {
    super(error.message);
  }
}
