import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { s256Challenge } from "@ward/core";
import { compactVerify, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestWard } from "../../server/test/support/admin.js";
import { cliAppTokens, RESOURCE, seedFlowFixtures } from "../../server/test/support/flow.js";
import { createDpopKey, createPkce, dpopFetch, dpopProof, RefreshFailedError, TokenHolder } from "../src/index.js";

const t = useTestWard();

beforeAll(async () => {
  await seedFlowFixtures(t);
});

const auditCount = async (type: string) =>
  Number(
    (
      await t.ward.database.db
        .selectFrom("audit_events")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("type", "=", type)
        .executeTakeFirstOrThrow()
    ).n,
  );

async function expiredHolder(onRotate?: () => void) {
  const tokens = await cliAppTokens(t, { scope: "offline_access notes:read", resource: RESOURCE });
  return new TokenHolder({
    tokenEndpoint: `${t.publicUrl}/token`,
    clientId: "cli-app",
    tokens: { ...tokens, token_type: "Bearer", expires_at: Date.now() - 1000 },
    allowInsecureLoopback: true,
    onRotate,
  });
}

describe("TokenHolder: single-flight refresh", () => {
  it("performs exactly one refresh for 50 parallel callers of an expiring token, with no reuse detected", async () => {
    let rotations = 0;
    const holder = await expiredHolder(() => {
      rotations++;
    });
    const refreshedBefore = await auditCount("token.refreshed");
    const reuseBefore = await auditCount("refresh_token.reuse_detected");
    const tokens = await Promise.all(Array.from({ length: 50 }, () => holder.accessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(rotations).toBe(1);
    expect((await auditCount("token.refreshed")) - refreshedBefore).toBe(1);
    expect(await auditCount("refresh_token.reuse_detected")).toBe(reuseBefore);
    expect(await holder.accessToken()).toBe(tokens[0]);
  });

  it("reports a refused refresh with the server's error and Ward code", async () => {
    const holder = await expiredHolder();
    const revoke = await fetch(`${t.publicUrl}/revoke`, {
      method: "POST",
      body: new URLSearchParams({ client_id: "cli-app", token: holder.current().refresh_token as string }),
    });
    expect(revoke.status).toBe(200);
    const error = await holder.accessToken().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error).toMatchObject({ status: 400, error: "invalid_grant", code: "refresh_token_revoked" });
  });
});

describe("client helpers: PKCE and DPoP proofs (RFC 7636, RFC 9449)", () => {
  it("creates an S256 PKCE pair", () => {
    const pkce = createPkce();
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pkce.challenge).toBe(s256Challenge(pkce.verifier));
    expect(createPkce().verifier).not.toBe(pkce.verifier);
  });

  it("signs proofs with typ dpop+jwt, the public jwk only, htm, htu without query, a fresh jti and ath", async () => {
    const key = await createDpopKey();
    const proof = await dpopProof(key, { method: "post", url: "https://api.example/notes?x=1#f", accessToken: "at-123", nonce: "n1" });
    const header = decodeProtectedHeader(proof);
    expect(header).toMatchObject({ typ: "dpop+jwt", alg: "ES256" });
    expect(header.jwk).not.toHaveProperty("d");
    const { payload } = await jwtVerify(proof, EmbeddedJWK);
    expect(payload).toMatchObject({
      htm: "POST",
      htu: "https://api.example/notes",
      nonce: "n1",
      ath: createHash("sha256").update("at-123").digest("base64url"),
    });
    const other = await dpopProof(key, { method: "GET", url: "https://api.example/notes" });
    expect((await compactVerify(other, EmbeddedJWK)).payload).toBeDefined();
    expect(decodeProtectedHeader(other).jwk).toEqual(key.publicJwk);
    expect(JSON.parse(Buffer.from(other.split(".")[1] as string, "base64url").toString()).jti).not.toBe(payload.jti);
  });

  it("retries once with the server's nonce on use_dpop_nonce, and reuses it on the next call", async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer(async (req, res) => {
      const proof = String(req.headers.dpop ?? "");
      const { payload } = await jwtVerify(proof, EmbeddedJWK);
      seen.push(payload.nonce as string | undefined);
      if (payload.nonce !== "server-nonce-1") {
        res.writeHead(401, { "www-authenticate": 'DPoP error="use_dpop_nonce"', "dpop-nonce": "server-nonce-1" }).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notes`;
    try {
      const send = dpopFetch(await createDpopKey());
      expect((await send(url, { accessToken: "at" })).status).toBe(200);
      expect(seen).toEqual([undefined, "server-nonce-1"]);
      expect((await send(url, { accessToken: "at" })).status).toBe(200);
      expect(seen).toEqual([undefined, "server-nonce-1", "server-nonce-1"]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
