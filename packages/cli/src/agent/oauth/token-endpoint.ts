import { WardError } from "@ward/core";
import type { ClientRegistration, Connection } from "../store/model.js";
import { postForm } from "./http.js";

/** RFC 6749 §2.3.1: client_secret_basic for a confidential client, client_id in the body for a public one. */
export function clientAuth(client: ClientRegistration): { form: Record<string, string>; headers: Record<string, string> } {
  if (!client.client_secret) return { form: { client_id: client.client_id }, headers: {} };
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  const basic = Buffer.from(`${encode(client.client_id)}:${encode(client.client_secret)}`).toString("base64");
  return { form: {}, headers: { authorization: `Basic ${basic}` } };
}

export interface TokenRequest {
  provider: string;
  tokenEndpoint: string;
  client: ClientRegistration;
  params: Record<string, string | undefined>;
  /** Scopes asked for: the granted ones when the response omits `scope` (RFC 6749 §5.1). */
  requestedScopes?: string[];
}

/** POSTs to the token endpoint and turns the answer into a stored connection; refusals become catalog errors. */
export async function requestTokens(request: TokenRequest, previous?: Connection): Promise<Connection> {
  const auth = clientAuth(request.client);
  const { status, body } = await postForm(request.tokenEndpoint, { ...request.params, ...auth.form }, auth.headers);
  const error = typeof body.error === "string" ? body.error : undefined;
  if (status !== 200 || error || typeof body.access_token !== "string") {
    const description = typeof body.error_description === "string" ? body.error_description : `HTTP ${status}`;
    if (error === "invalid_client" || status === 401)
      throw new WardError("agent_client_rejected", {
        provider: request.provider,
        client_id: request.client.client_id,
        error_description: description,
      });
    throw new WardError("agent_token_request_failed", {
      provider: request.provider,
      error: error ?? `HTTP ${status}`,
      error_description: description,
    });
  }
  // RFC 6749 §7.1: only a token type Ward knows how to send; A.12: a token an HTTP header can carry.
  const tokenType = typeof body.token_type === "string" ? body.token_type : "Bearer";
  if (tokenType.toLowerCase() !== "bearer")
    throw new WardError("agent_token_response_invalid", {
      provider: request.provider,
      field: "token_type",
      received: JSON.stringify(tokenType.slice(0, 40)),
      expected: '"Bearer" (Ward sends tokens as Authorization: Bearer; DPoP-bound tokens need proofs it does not make)',
    });
  if (!/^[\x21-\x7e]+$/.test(body.access_token))
    throw new WardError("agent_token_response_invalid", {
      provider: request.provider,
      field: "access_token",
      received: `a ${body.access_token.length}-character value with spaces, control or non-ASCII characters (not shown)`,
      expected: "a token of printable ASCII characters (RFC 6749 Appendix A.12)",
    });
  const now = Date.now();
  const scope = typeof body.scope === "string" ? body.scope.split(" ").filter(Boolean) : (request.requestedScopes ?? previous?.scopes);
  return {
    kind: "oauth",
    access_token: body.access_token,
    // RFC 6749 §6: a refresh response without refresh_token keeps the old one.
    refresh_token: typeof body.refresh_token === "string" ? body.refresh_token : previous?.refresh_token,
    token_type: tokenType,
    expires_at: typeof body.expires_in === "number" ? now + body.expires_in * 1000 : undefined,
    scopes: scope,
    id_token: typeof body.id_token === "string" ? body.id_token : previous?.id_token,
    resource: request.params.resource ?? previous?.resource,
    obtained_at: previous?.obtained_at ?? now,
    refreshed_at: previous ? now : undefined,
  };
}
