import type { ClientRegistration, Connection } from "../store/model.js";
import { postForm } from "./http.js";
import { clientAuth } from "./token-endpoint.js";

/** RFC 7009: revokes the refresh token (which ends the grant) and the access token; returns what the server answered. */
export async function revokeTokens(endpoint: string, client: ClientRegistration, connection: Connection): Promise<string[]> {
  const answers: string[] = [];
  const auth = clientAuth(client);
  for (const [hint, token] of [
    ["refresh_token", connection.refresh_token],
    ["access_token", connection.access_token],
  ] as const) {
    if (!token) continue;
    const { status } = await postForm(endpoint, { token, token_type_hint: hint, ...auth.form }, auth.headers);
    answers.push(`${hint}: HTTP ${status}`);
  }
  return answers;
}
