import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "../../server/test/support/admin.js";
import { cliAppTokens, RESOURCE, seedFlowFixtures } from "../../server/test/support/flow.js";
import { createIntrospectionVerifier, type IntrospectionVerifier } from "../src/index.js";

/** The server's clock, moved by the test to pass the cache time without waiting. */
let skew = 0;
const t = useTestWard();
let verifier: IntrospectionVerifier;

beforeAll(async () => {
  await seedFlowFixtures(t);
  // api-server is the resource server's own client, listed in RESOURCE's introspection_clients.
  const rotated = (await (await t.admin("/admin/v1/clients/api-server/rotate-secret", { body: {} })).json()) as { client_secret: string };
  verifier = createIntrospectionVerifier({
    issuer: t.publicUrl,
    resource: RESOURCE,
    clientId: "api-server",
    clientSecret: rotated.client_secret,
    clientAuthMethod: "client_secret_post",
    allowInsecureLoopback: true,
    cacheSeconds: 30,
    now: () => Date.now() + skew,
  });
});

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );

describe("introspection mode (RFC 7662) against a live Ward", () => {
  it("accepts an active token for this resource, caches the answer, and notices a revocation after the cache time", async () => {
    const tokens = await cliAppTokens(t, { scope: "offline_access notes:read", resource: RESOURCE });
    const claims = await verifier.verify(tokens.access_token);
    expect(claims).toMatchObject({ active: true, client_id: "cli-app", aud: RESOURCE });
    expect([...claims.scopes].sort()).toEqual(["notes:read", "offline_access"]);
    const revoke = await fetch(`${t.publicUrl}/revoke`, {
      method: "POST",
      body: new URLSearchParams({ client_id: "cli-app", token: tokens.refresh_token as string }),
    });
    expect(revoke.status).toBe(200);
    expect((await verifier.verify(tokens.access_token)).client_id).toBe("cli-app");
    skew = 31_000;
    const error = await refusal(verifier.verify(tokens.access_token));
    expect(error?.code).toBe("token_inactive");
    skew = 0;
  });

  it("refuses garbage, and a token of another audience (Ward tells api-server nothing about it), as token_inactive", async () => {
    expect((await refusal(verifier.verify("not-a-token")))?.code).toBe("token_inactive");
    const openidOnly = await cliAppTokens(t, { scope: "openid" });
    const error = await refusal(verifier.verify(openidOnly.access_token));
    // Ward answers active: false to api-server for a token that is not for its resource.
    expect(error?.code).toBe("token_inactive");
  });

  it("plugs into the adapters like the JWT verifier (protectNode with an introspection verifier)", async () => {
    const { createServer } = await import("node:http");
    const { protectNode } = await import("../src/index.js");
    const server = createServer(
      protectNode({ verifier }, (req, res) => {
        res.end(JSON.stringify({ client: req.auth.clientId }));
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}`;
    try {
      const tokens = await cliAppTokens(t, { scope: "notes:read", resource: RESOURCE });
      const ok = await fetch(`${base}/notes`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(await ok.json()).toEqual({ client: "cli-app" });
      const refused = await fetch(`${base}/notes`, { headers: { authorization: "Bearer not-a-token" } });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { code: string }).code).toBe("token_inactive");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
