import { createHash, randomBytes } from "node:crypto";
import type { Context, Hono } from "hono";
import { decodeJwt, decodeProtectedHeader } from "jose";
import type { WardEnv } from "../http/context.js";
import { clearWardCookie, readCookie, setWardCookie } from "../http/cookies.js";
import type { ServerContext } from "../oauth/context.js";
import { type DecodedToken, DevCallbackPage } from "../ui/dev-callback.js";
import { MessagePage } from "../ui/message.js";
import { renderPage } from "../ui/render.js";
import { DEV_DEMO_CLIENT_ID } from "./dev-demo-client.js";

const COOKIE = "ward_dev_flow";

function decode(label: string, token: unknown): DecodedToken[] {
  if (typeof token !== "string") return [];
  try {
    return [{ label, header: decodeProtectedHeader(token), claims: decodeJwt(token) }];
  } catch {
    return [];
  }
}

/**
 * Development only (`dev.callback`, loopback issuers): /dev/start begins a code + PKCE flow for the
 * demo client (verifier and state in a cookie), /dev/callback redeems the code at this server's own
 * /token and shows the decoded tokens. A newcomer sees a whole flow from one URL. `publicApp` is
 * the app that serves /token when `app` holds only these routes (mounted lazily, lazy-groups.ts).
 */
export function mountDevCallback(app: Hono<WardEnv>, ctx: ServerContext, publicApp: Hono<WardEnv> = app): void {
  const callback = `${ctx.issuer}/dev/callback`;

  app.get("/dev/start", (c) => {
    const verifier = randomBytes(32).toString("base64url");
    const state = randomBytes(12).toString("base64url");
    setWardCookie(c, ctx, COOKIE, `${state}.${verifier}`, { path: "/dev", maxAgeSeconds: ctx.config.login.interaction_ttl });
    const query = new URLSearchParams({
      response_type: "code",
      client_id: DEV_DEMO_CLIENT_ID,
      redirect_uri: callback,
      scope: "openid profile email offline_access",
      state,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
    });
    return c.redirect(`/authorize?${query}`, 303);
  });

  app.get("/dev/callback", async (c: Context<WardEnv>) => {
    const query = new URL(c.req.url).searchParams;
    if (query.get("error")) {
      return renderPage(
        c,
        <MessagePage
          title="The authorization ended with an error"
          message={`${query.get("error")}: ${query.get("error_description") ?? ""}`}
          errorUri={query.get("error_uri") ?? undefined}
          code={query.get("error_uri")?.split("/errors/")[1]}
          action={{ href: "/dev/start", label: "Try again" }}
        />,
        { status: 400 },
      );
    }
    const [state, verifier] = (readCookie(c, COOKIE) ?? "").split(".");
    if (!state || !verifier || state !== query.get("state")) {
      return renderPage(
        c,
        <MessagePage
          title="This callback was not started here"
          message={`The code is ${query.get("code") ?? "(none)"}. This page redeems only flows started from /dev/start in this browser (its PKCE verifier is in a cookie). To redeem a code from the authorize URL \`ward dev\` printed, POST it to /token with that code_verifier.`}
          action={{ href: "/dev/start", label: "Start a flow here" }}
        />,
        { status: 400 },
      );
    }
    clearWardCookie(c, ctx, COOKIE, "/dev");
    const response = await publicApp.request("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: DEV_DEMO_CLIENT_ID,
        code: query.get("code") ?? "",
        redirect_uri: callback,
        code_verifier: verifier,
      }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status !== 200) {
      return renderPage(
        c,
        <MessagePage
          title="The code exchange failed"
          message={String(body.error_description)}
          code={String(body.code)}
          errorUri={typeof body.error_uri === "string" ? body.error_uri : undefined}
          action={{ href: "/dev/start", label: "Try again" }}
        />,
        { status: response.status },
      );
    }
    const idToken = typeof body.id_token === "string" ? body.id_token : undefined;
    return renderPage(
      c,
      <DevCallbackPage
        response={{ ...body, refresh_token: body.refresh_token ? `${String(body.refresh_token).slice(0, 8)}… (opaque)` : undefined }}
        tokens={[...decode("ID token", body.id_token), ...decode("Access token (RFC 9068)", body.access_token)]}
        signOutUrl={idToken ? `/end_session?${new URLSearchParams({ id_token_hint: idToken })}` : undefined}
      />,
    );
  });
}
