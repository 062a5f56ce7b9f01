import { WardError } from "@ward/core";
import type { Hono } from "hono";
import { bindPushToProofKey, pushedAuthorizationParameters, refuseRequestUriInPush, storePushedRequest } from "../authorize/pushed.js";
import { RedirectableError, refuseRepeatedParameters, validateAuthorizationRequest } from "../authorize/request.js";
import type { WardEnv } from "../http/context.js";
import { allowOnly } from "../http/errors.js";
import { readParams } from "../http/params.js";
import { setHeader } from "../http/response-headers.js";
import { authenticateClient } from "../oauth/client-auth.js";
import type { ServerContext } from "../oauth/context.js";
import { postedProofKey, sendCurrentNonce } from "../oauth/dpop.js";
import { oauthError } from "./token.js";

/**
 * POST /par (RFC 9126): each parameter once, the client authenticates as at /token (public clients send client_id
 * alone, §2), no request_uri inside the push (§2.1), then every /authorize check runs on the
 * parameters; their errors are answered here as JSON instead of redirects. Only valid requests are
 * stored, under the hash of a single-use, short-lived request_uri bound to the client.
 */
export function mountPushedAuthorizationRequest(app: Hono<WardEnv>, ctx: ServerContext): void {
  app.post("/par", async (c) => {
    try {
      const params = await readParams(c);
      refuseRepeatedParameters(params);
      const client = await authenticateClient(c, ctx, params, "/par");
      const pushed = pushedAuthorizationParameters(params, client);
      refuseRequestUriInPush(pushed);
      try {
        await validateAuthorizationRequest(ctx, pushed, { pushed: true });
      } catch (error) {
        if (error instanceof RedirectableError) throw error.error;
        throw error;
      }
      bindPushToProofKey(pushed, await postedProofKey(c, ctx, ctx.endpoints.pushed_authorization_request));
      const response = await storePushedRequest(ctx, client, pushed);
      sendCurrentNonce(c, ctx);
      setHeader(c, "Cache-Control", "no-store");
      setHeader(c, "Pragma", "no-cache");
      return c.json(response, 201);
    } catch (error) {
      if (error instanceof WardError) {
        sendCurrentNonce(c, ctx);
        return oauthError(c, ctx, error);
      }
      throw error;
    }
  });
  allowOnly(app, "/par", ["POST"]);
}
