import type { Context } from "hono";
import { hashSecret, randomId, randomToken } from "../crypto/tokens.js";
import type { WardEnv } from "../http/context.js";
import { clearWardCookie, readCookie, SESSION_COOKIE, setWardCookie } from "../http/cookies.js";
import type { ServerContext } from "../oauth/context.js";
import { deleteSession, getSessionByTokenHash, insertSession, type SessionRecord, touchSession } from "../store/sessions.js";
import { getUser, type UserRecord } from "../store/users.js";

export interface SignedIn {
  session: SessionRecord;
  user: UserRecord;
  /** The cookie value (secret): CSRF tokens of account forms derive from it. */
  token: string;
}

/** The Ward session of this browser, when its cookie names a live session of an enabled user. */
export async function currentSession(c: Context<WardEnv>, ctx: ServerContext): Promise<SignedIn | undefined> {
  const token = readCookie(c, SESSION_COOKIE);
  if (!token || token.length > 200) return undefined;
  const session = await getSessionByTokenHash(ctx.db, ctx.tenantId, hashSecret(token));
  const now = ctx.now();
  if (!session || session.expires_at <= now) return undefined;
  const user = await getUser(ctx.db, ctx.tenantId, session.user_id);
  if (!user || user.disabled) return undefined;
  if (now - session.last_seen_at > 60_000) await touchSession(ctx.db, ctx.tenantId, session.id, now);
  return { session, user, token };
}

/** Starts a Ward session for the user (a new cookie secret: no fixation of an earlier one). */
export async function startSession(c: Context<WardEnv>, ctx: ServerContext, user: UserRecord, amr: string[]): Promise<SessionRecord> {
  const previous = readCookie(c, SESSION_COOKIE);
  if (previous && previous.length <= 200) {
    const old = await getSessionByTokenHash(ctx.db, ctx.tenantId, hashSecret(previous));
    if (old) await deleteSession(ctx.db, ctx.tenantId, old.id);
  }
  const token = randomToken();
  const now = ctx.now();
  const lifetime = ctx.config.session.lifetime;
  const session: SessionRecord = {
    id: randomId("ses"),
    token_hash: hashSecret(token),
    user_id: user.id,
    auth_time: now,
    amr,
    created_at: now,
    last_seen_at: now,
    expires_at: now + lifetime * 1000,
  };
  await insertSession(ctx.db, ctx.tenantId, session);
  setWardCookie(c, ctx, SESSION_COOKIE, token, { path: "/", maxAgeSeconds: lifetime });
  return session;
}

/** Ends this browser's Ward session (if any) and clears its cookie. */
export async function endSession(c: Context<WardEnv>, ctx: ServerContext, signedIn: SignedIn | undefined): Promise<void> {
  if (signedIn) await deleteSession(ctx.db, ctx.tenantId, signedIn.session.id);
  clearWardCookie(c, ctx, SESSION_COOKIE, "/");
}
