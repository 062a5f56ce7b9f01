import { WardError } from "@ward/core";
import type { Hono } from "hono";
import type { WardEnv } from "../http/context.js";
import { allowOnly } from "../http/errors.js";
import { readParams } from "../http/params.js";
import { setHeader } from "../http/response-headers.js";
import { bearerError, presentedToken } from "../oauth/bearer.js";
import type { ServerContext } from "../oauth/context.js";
import { checkPresentedToken, sendCurrentNonce } from "../oauth/dpop.js";
import { userClaims } from "../oauth/tokens.js";
import { verifyAccessToken } from "../oauth/verify-access-token.js";
import { getUser } from "../store/users.js";

/**
 * GET / POST /userinfo (OIDC Core §5.3): the claims the token's scopes release. Needs `openid` and a
 * token whose audience is this endpoint (an authorization without `resource`); a token issued for
 * a resource is refused, so resource servers cannot read users' profiles with the tokens they receive.
 */
export function mountUserinfo(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.on(["GET", "POST"], "/userinfo", async (c) => {
    try {
      const params = c.req.method === "POST" && c.req.header("content-type") ? await readParams(c) : undefined;
      const presented = presentedToken(c, params, ctx.endpoints.userinfo);
      const verified = await verifyAccessToken(ctx, presented.token);
      await checkPresentedToken(c, ctx, presented, verified.payload, ctx.endpoints.userinfo);
      const audience = ([] as unknown[]).concat(verified.payload.aud);
      if (!audience.includes(ctx.endpoints.userinfo)) {
        // RFC 9068 §4: a token issued for a resource is for that resource only; identity claims are in the ID token.
        throw new WardError("token_audience_mismatch", {
          received: JSON.stringify(verified.payload.aud),
          expected: ctx.endpoints.userinfo,
        });
      }
      const scope = verified.payload.scope.split(" ");
      if (!scope.includes("openid"))
        throw new WardError("insufficient_scope", { required: "openid", granted: verified.payload.scope || "(none)" });
      const user = await getUser(ctx.db, ctx.tenantId, verified.payload.sub);
      if (!user || user.disabled) throw new WardError("access_token_revoked", { ago: "0 seconds (the user was disabled or deleted)" });
      sendCurrentNonce(c, ctx);
      setHeader(c, "Cache-Control", "no-store");
      return c.json({ sub: user.id, ...userClaims(user, scope) });
    } catch (error) {
      if (error instanceof WardError && error.oauthError === "use_dpop_nonce") sendCurrentNonce(c, ctx);
      if (error instanceof WardError) return bearerError(c, ctx, error, error.code === "insufficient_scope" ? { scope: "openid" } : {});
      throw error;
    }
  });
  allowOnly(app, "/userinfo", ["GET", "POST"]);
}
