import type { CompiledQuery } from "kysely";
import { hashSecret, randomToken, timeOrderedId } from "../crypto/tokens.js";
import { seal } from "../keys/secret-box.js";
import { auditEventQuery } from "../store/audit.js";
import type { ClientRecord } from "../store/clients.js";
import type { ResourceRecord } from "../store/resources.js";
import { insertRefreshTokenQuery, recordAccessTokenQuery, type TokenFamilyRecord } from "../store/tokens.js";
import type { TokenUser } from "../store/users.js";
import type { ServerContext } from "./context.js";
import { lifetimes, signAccessToken, signIdToken } from "./tokens.js";

export interface TokenResponse {
  access_token: string;
  /** "DPoP" when the access token is bound to the key of the request's DPoP proof (RFC 9449 §5). */
  token_type: "Bearer" | "DPoP";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 8693 §2.2.1: the type of the issued token (token exchange responses). */
  issued_token_type?: string;
}

export interface IssueInput {
  client: ClientRecord;
  user: TokenUser;
  family: TokenFamilyRecord;
  resource: ResourceRecord | undefined;
  /** The scope of this response (may be narrower than the family's). */
  scope: string[];
  nonce: string | null;
  withRefreshToken: boolean;
  /** The DPoP key the access token is bound to (cnf.jkt); undefined: a Bearer token. */
  dpopJkt?: string | undefined;
}

/** A signed response and what must be stored for it (only hashes of the refresh token). */
export interface PreparedTokens {
  response: TokenResponse;
  accessJti: string;
  accessExpiresAt: number;
  refreshHash: string | undefined;
}

/** Signs the access token (and ID token when `openid` is granted) and draws a refresh token; stores nothing. */
export async function prepareTokens(ctx: ServerContext, input: IssueInput): Promise<PreparedTokens> {
  const ttl = lifetimes(ctx, input.client, input.resource);
  const scope = input.scope.join(" ");
  const access = await signAccessToken(ctx, {
    client_id: input.client.client_id,
    subject: input.user.id,
    audience: input.resource?.uri ?? ctx.endpoints.userinfo,
    scope,
    lifetime: ttl.access,
    auth_time: input.family.auth_time,
    dpop_jkt: input.dpopJkt,
    may_act: input.resource?.may_act,
  });
  const tokenType = input.dpopJkt ? "DPoP" : "Bearer";
  const response: TokenResponse = { access_token: access.token, token_type: tokenType, expires_in: ttl.access, scope };
  let refreshHash: string | undefined;
  if (input.withRefreshToken) {
    const refresh = randomToken();
    response.refresh_token = refresh;
    refreshHash = hashSecret(refresh);
  }
  if (input.scope.includes("openid")) {
    response.id_token = await signIdToken(ctx, {
      client_id: input.client.client_id,
      user: input.user,
      scope: input.scope,
      nonce: input.nonce,
      auth_time: input.family.auth_time,
      amr: input.family.amr,
      session_id: input.family.session_id,
      lifetime: ttl.id,
    });
  }
  return { response, accessJti: access.jti, accessExpiresAt: access.expires_at, refreshHash };
}

/** The statements that store what {@link prepareTokens} drew and the issuance audit event (for a GuardedWrite). */
export function tokenWrites(
  ctx: ServerContext,
  prepared: PreparedTokens,
  input: IssueInput,
  audit: { type: string; requestId: string },
): CompiledQuery[] {
  const writes = [
    recordAccessTokenQuery(ctx.db, ctx.tenantId, {
      jti: prepared.accessJti,
      family_id: input.family.id,
      client_id: input.client.client_id,
      expires_at: prepared.accessExpiresAt,
    }),
  ];
  if (prepared.refreshHash) {
    writes.push(
      insertRefreshTokenQuery(ctx.db, ctx.tenantId, {
        token_hash: prepared.refreshHash,
        family_id: input.family.id,
        scope: input.scope.join(" "),
        created_at: ctx.now(),
        spent_at: null,
        successor_sealed: null,
      }),
    );
  }
  writes.push(
    auditEventQuery(ctx.db, ctx.tenantId, {
      type: audit.type,
      actor: input.client.client_id,
      subject: input.user.id,
      data: {
        client_id: input.client.client_id,
        resource: input.resource?.uri ?? null,
        scopes: input.scope,
        family_id: input.family.id,
        access_token_jti: prepared.accessJti,
        refresh_token: prepared.refreshHash !== undefined,
        id_token: prepared.response.id_token !== undefined,
        dpop_jkt: input.dpopJkt ?? null,
        request_id: audit.requestId,
        outcome: "issued",
      },
    }),
  );
  return writes;
}

/**
 * Time-ordered, as access-token jtis are: a new family's row and its tokens' by-family index
 * entries go at the end of their indexes, not at a random page each. A family id is not a secret
 * (only reached through a token, or by an administrator).
 */
export const newFamilyId = (now: number) => timeOrderedId("fam", now);

/** Seals a token response under the master key for the refresh grace interval (bound to the spent token). */
export const sealSuccessor = (ctx: ServerContext, spentHash: string, response: TokenResponse) =>
  seal(ctx.masterKey, JSON.stringify(response), `refresh-successor:${ctx.tenantId}:${spentHash}`);
