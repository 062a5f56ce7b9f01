import { WardError } from "@ward/core";
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import { checkScopesDeclaredOnResource, formatScopes, parseScope, resolveResource } from "../authorize/scopes.js";
import { param } from "../http/params.js";
import { ASSERTION_ALGORITHMS } from "../oauth/client-auth.js";
import { verifyWithKeys } from "../oauth/client-jwks.js";
import { checkResourceDpopRequirement } from "../oauth/dpop.js";
import { formatAge } from "../oauth/format.js";
import type { TokenResponse } from "../oauth/issue.js";
import { issueStandaloneAccessToken } from "../oauth/standalone-token.js";
import { lifetimes } from "../oauth/tokens.js";
import type { ResourceRecord } from "../store/resources.js";
import { getTrustedIssuerByIssuer, type TrustedIssuerRecord } from "../store/trusted-issuers.js";
import { claimJti } from "../store/used-jtis.js";
import { getUserByEmail } from "../store/users.js";
import type { GrantRequest } from "./authorization-code.js";
import { requireConfidentialClient } from "./confidential.js";

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** draft-ietf-oauth-identity-assertion-authz-grant: the JWT type of an Identity Assertion JWT Authorization Grant. */
const ID_JAG_TYPE = "oauth-id-jag+jwt";
/** Clock skew tolerated on exp and iat, in seconds. */
const SKEW_S = 30;
const REQUIRED_CLAIMS = ["sub", "aud", "exp", "iat", "jti"] as const;

interface Assertion extends GrantRequest {
  jwt?: string;
  header?: { typ?: string | undefined };
  payload?: JWTPayload;
  trusted?: TrustedIssuerRecord;
  resource?: ResourceRecord;
  scope?: string[];
  subject?: string;
}

type Check = (assertion: Assertion) => void | Promise<void>;

const payloadOf = (a: Assertion) => a.payload as JWTPayload;
const trustedOf = (a: Assertion) => a.trusted as TrustedIssuerRecord;
const isIdJag = (a: Assertion) => a.header?.typ?.toLowerCase() === ID_JAG_TYPE;

const confidentialClient: Check = ({ client }) => requireConfidentialClient(client, JWT_BEARER_GRANT);

const assertionReadable: Check = (a) => {
  const jwt = param(a.params, "assertion", "token_parameter_invalid", 8192);
  if (jwt === undefined) throw new WardError("token_parameter_missing", { endpoint: "the jwt-bearer grant", parameter: "assertion" });
  try {
    a.header = decodeProtectedHeader(jwt) as { typ?: string };
    a.payload = decodeJwt(jwt);
  } catch (error) {
    throw new WardError("jwt_bearer_assertion_malformed", { reason: (error as Error).message });
  }
  a.jwt = jwt;
};

const issuerTrusted: Check = async (a) => {
  const iss = payloadOf(a).iss;
  if (typeof iss !== "string" || iss === "") throw new WardError("jwt_bearer_claim_missing", { claim: "iss" });
  const trusted = await getTrustedIssuerByIssuer(a.ctx.db, a.ctx.tenantId, iss);
  if (!trusted) throw new WardError("jwt_bearer_issuer_untrusted", { received: JSON.stringify(iss.slice(0, 200)) });
  a.trusted = trusted;
};

const clientAllowedForIssuer: Check = (a) => {
  const trusted = trustedOf(a);
  if (!trusted.client_ids.includes(a.client.client_id)) {
    throw new WardError("jwt_bearer_client_not_allowed", {
      client_id: a.client.client_id,
      issuer: trusted.issuer,
      allowed: trusted.client_ids.join(", "),
    });
  }
};

/** Signature only (claims are checked one by one below, each with its own code), asymmetric algorithms only. */
const signatureValid: Check = async (a) => {
  const trusted = trustedOf(a);
  await verifyWithKeys(
    a.ctx.clientKeys,
    trusted,
    (keys) => compactVerify(a.jwt as string, keys, { algorithms: ASSERTION_ALGORITHMS }),
    (reason) => new WardError("jwt_bearer_signature_invalid", { issuer: trusted.issuer, reason }),
    "the trusted issuer has no keys",
  );
};

const requiredClaimsPresent: Check = (a) => {
  const payload = payloadOf(a);
  for (const claim of REQUIRED_CLAIMS) if (payload[claim] === undefined) throw new WardError("jwt_bearer_claim_missing", { claim });
};

/** RFC 7523 §3: aud identifies this server (its issuer, or its token endpoint). */
const audienceIsThisServer: Check = ({ ctx, payload }) => {
  const aud = (payload as JWTPayload).aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.some((value) => value === ctx.issuer || value === ctx.endpoints.token)) {
    throw new WardError("jwt_bearer_audience_mismatch", {
      received: JSON.stringify(aud),
      expected: `${ctx.issuer} or ${ctx.endpoints.token}`,
    });
  }
};

const notExpired: Check = ({ ctx, payload }) => {
  const exp = Number((payload as JWTPayload).exp) * 1000;
  if (!(exp + SKEW_S * 1000 > ctx.now())) {
    throw new WardError("jwt_bearer_assertion_expired", {
      expired_at: Number.isFinite(exp) ? new Date(exp).toISOString() : JSON.stringify((payload as JWTPayload).exp),
      ago: Number.isFinite(exp) ? formatAge(ctx.now() - exp) : "unknown",
    });
  }
};

/** RFC 7523 §3 item 5: an nbf in the future (beyond the skew) means not yet; a non-numeric nbf never passes. */
const notBeforeReached: Check = ({ ctx, payload }) => {
  const raw = (payload as JWTPayload).nbf;
  if (raw === undefined) return;
  const nbf = Number(raw) * 1000;
  if (!(nbf - SKEW_S * 1000 <= ctx.now())) {
    throw new WardError("jwt_bearer_assertion_not_yet_valid", {
      not_before: Number.isFinite(nbf) ? new Date(nbf).toISOString() : JSON.stringify(raw),
      wait: Number.isFinite(nbf) ? formatAge(nbf - ctx.now()) : "unknown",
    });
  }
};

const issuedRecently: Check = ({ ctx, payload }) => {
  const iat = Number((payload as JWTPayload).iat) * 1000;
  const maxAge = ctx.config.jwt_bearer.max_assertion_age;
  const age = ctx.now() - iat;
  if (!Number.isFinite(iat) || age > maxAge * 1000 || age < -SKEW_S * 1000) {
    throw new WardError("jwt_bearer_assertion_stale", {
      issued_at: Number.isFinite(iat) ? new Date(iat).toISOString() : JSON.stringify((payload as JWTPayload).iat),
      age: !Number.isFinite(iat) ? "unreadable" : age < 0 ? `${formatAge(-age)} in the future` : `${formatAge(age)} ago`,
      max_age: maxAge,
    });
  }
};

/** ID-JAG: bound to the client the identity provider issued it for. */
const idJagForThisClient: Check = (a) => {
  if (!isIdJag(a)) return;
  const clientId = payloadOf(a).client_id;
  if (clientId !== a.client.client_id) {
    throw new WardError("jwt_bearer_id_jag_client_mismatch", { received: JSON.stringify(clientId ?? null), client_id: a.client.client_id });
  }
};

/** The resource (request parameter, or the ID-JAG's resource claim) must be one the trusted issuer allows. */
const targetAllowed: Check = async (a) => {
  const requested = a.params.getAll("resource");
  const claimed = isIdJag(a) && typeof payloadOf(a).resource === "string" ? (payloadOf(a).resource as string) : undefined;
  if (requested.length === 1 && claimed !== undefined && requested[0] !== claimed) {
    throw new WardError("token_exchange_target_conflict", {
      first: `resource ${JSON.stringify(requested[0])}`,
      second: `the ID-JAG's resource claim ${JSON.stringify(claimed)}`,
    });
  }
  const targets = requested.length > 0 ? requested : claimed !== undefined ? [claimed] : [];
  const trusted = trustedOf(a);
  const resource = await resolveResource(a.ctx, targets, parseScope(param(a.params, "scope", "token_parameter_invalid", 2048)));
  if (!resource)
    throw new WardError("resource_missing", { scope: "(none)", reason: "a jwt-bearer token needs an audience: send resource" });
  if (!trusted.resources.includes(resource.uri)) {
    throw new WardError("jwt_bearer_target_not_allowed", {
      resource: resource.uri,
      issuer: trusted.issuer,
      allowed: trusted.resources.join(", "),
    });
  }
  a.resource = resource;
};

/** The scope parameter, narrowed to the ID-JAG's scope claim when it has one; declared on the resource. */
const scopeGranted: Check = (a) => {
  const requested = parseScope(param(a.params, "scope", "token_parameter_invalid", 2048));
  const claim = payloadOf(a).scope;
  let scope = requested;
  if (isIdJag(a) && typeof claim === "string") {
    const granted = parseScope(claim);
    const extra = requested.filter((name) => !granted.includes(name));
    if (extra.length > 0) throw new WardError("jwt_bearer_scope_not_granted", { extra: extra.join(" "), granted: formatScopes(granted) });
    if (requested.length === 0) scope = granted;
  }
  checkScopesDeclaredOnResource(a.resource, scope, a.ctx.issuer);
  a.scope = scope;
};

/** `email`: the assertion's email names an enabled Ward user; `external`: the assertion's sub is kept. */
const subjectMapped: Check = async (a) => {
  const trusted = trustedOf(a);
  const payload = payloadOf(a);
  if (trusted.subject_mapping === "external") {
    a.subject = String(payload.sub);
    return;
  }
  if (typeof payload.email !== "string")
    throw new WardError("jwt_bearer_subject_unknown", { issuer: trusted.issuer, reason: "the assertion has no email claim" });
  const user = await getUserByEmail(a.ctx.db, a.ctx.tenantId, payload.email);
  if (!user || user.disabled) {
    throw new WardError("jwt_bearer_subject_unknown", {
      issuer: trusted.issuer,
      reason: `no enabled Ward user has the email ${JSON.stringify(payload.email)}`,
    });
  }
  a.subject = user.id;
};

/** Last, so only an otherwise valid assertion is spent (RFC 7523 §3 item 7); remembered until it could no longer pass. */
const usedOnce: Check = async (a) => {
  const { ctx } = a;
  const payload = payloadOf(a);
  const trusted = trustedOf(a);
  // issuedRecently refuses it from iat + max_assertion_age on, whatever its exp says.
  const until = (Number(payload.iat) + ctx.config.jwt_bearer.max_assertion_age + SKEW_S) * 1000;
  const jti = String(payload.jti);
  if (!(await claimJti(ctx.db, ctx.tenantId, `jwt_bearer:${trusted.issuer}:${jti}`, until, ctx.now()))) {
    throw new WardError("jwt_bearer_assertion_reused", { issuer: trusted.issuer, jti: JSON.stringify(jti) });
  }
};

/** grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, in this order. */
/** A resource that requires DPoP gets only bound tokens; checked before the jti is spent. */
function dpopAsResourceRequires(a: Assertion): void {
  checkResourceDpopRequirement(a.resource as ResourceRecord, a.dpopJkt);
}

const CHECKS: readonly Check[] = [
  confidentialClient,
  assertionReadable,
  issuerTrusted,
  clientAllowedForIssuer,
  signatureValid,
  requiredClaimsPresent,
  audienceIsThisServer,
  notExpired,
  notBeforeReached,
  issuedRecently,
  idJagForThisClient,
  targetAllowed,
  scopeGranted,
  subjectMapped,
  dpopAsResourceRequires,
  usedOnce,
];

/**
 * The JWT bearer authorization grant (RFC 7523 §2.1), including Identity Assertion JWT Authorization
 * Grants (ID-JAG, typ oauth-id-jag+jwt) for cross-app access: a confidential client redeems an
 * assertion from a trusted issuer for an access token for one of that issuer's allowed resources.
 * No refresh token: the client gets a new assertion from the identity provider instead.
 */
export async function jwtBearerGrant(request: GrantRequest): Promise<TokenResponse> {
  const a: Assertion = { ...request };
  for (const check of CHECKS) await check(a);
  const { ctx, client, requestId } = a;
  const resource = a.resource as ResourceRecord;
  return issueStandaloneAccessToken(ctx, {
    grantType: JWT_BEARER_GRANT,
    client,
    subject: a.subject as string,
    resource,
    scope: a.scope as string[],
    lifetime: lifetimes(ctx, client, resource).access,
    requestId,
    dpopJkt: a.dpopJkt,
    auditData: {
      assertion_issuer: trustedOf(a).issuer,
      assertion_subject: String(payloadOf(a).sub),
      assertion_jti: String(payloadOf(a).jti),
      id_jag: isIdJag(a),
    },
  });
}
