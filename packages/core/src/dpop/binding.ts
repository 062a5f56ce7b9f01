import { WardError } from "../errors/ward-error.js";
import { type DpopCheck, verifyDpopProof } from "./proof.js";
import type { ReplayStore } from "./replay.js";

/** The request a token arrived with: needed to check a DPoP proof against it. */
export interface RequestContext {
  method: string;
  /** The URL clients address (public origin + path): a proof's htu must match it. */
  url: string;
  /** The Authorization scheme the token came with. */
  scheme: "Bearer" | "DPoP";
  /** The DPoP header, when there is one. */
  dpop?: string | undefined;
}

export interface BindingOptions {
  replay: ReplayStore;
  window?: number | undefined;
  nonces?: DpopCheck["nonces"];
  now: () => number;
}

/**
 * RFC 9449 §7.1 for one verified token (JWT claims or an introspection answer): a token with
 * cnf.jkt needs the DPoP scheme and a valid proof by that key; the DPoP scheme needs a bound token.
 * Without the request (a caller that cannot give it), a bound token is refused.
 */
export async function checkDpopBinding(
  token: string,
  claims: { cnf?: unknown },
  request: RequestContext | undefined,
  options: BindingOptions,
): Promise<void> {
  const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
  if (typeof jkt !== "string") {
    if (request?.scheme === "DPoP") throw new WardError("dpop_scheme_without_binding");
    return;
  }
  if (request?.scheme !== "DPoP") throw new WardError("dpop_bound_token_as_bearer", { jkt, scheme: request?.scheme ?? "Bearer" });
  if (!request.dpop) throw new WardError("dpop_proof_missing", { subject: "The access token" });
  await verifyDpopProof({ ...options, proof: request.dpop, method: request.method, url: request.url, accessToken: token, jkt });
}
