import { createHash, randomUUID } from "node:crypto";
import { request } from "node:http";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import type { TestWard } from "./ward.js";

export interface TestDpopKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  jkt: string;
}

export async function dpopKey(): Promise<TestDpopKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(publicJwk) };
}

export interface ProofClaims {
  htm?: string;
  htu: string;
  /** Seconds; now by default. */
  iat?: number;
  jti?: string;
  nonce?: string;
  accessToken?: string;
}

/** A key pair made elsewhere (openid-client's randomDPoPKeyPair): only its public half is exported. */
export async function fromKeyPair(pair: { privateKey: CryptoKey; publicKey: CryptoKey }): Promise<TestDpopKey> {
  const publicJwk = await exportJWK(pair.publicKey);
  return { ...pair, publicJwk, privateJwk: {}, jkt: await calculateJwkThumbprint(publicJwk) };
}

/** A DPoP proof signed by `key` (ES256) with the public jwk, unless `jwk` replaces what goes in the header. */
export async function proof(key: TestDpopKey, claims: ProofClaims, jwk: JWK = key.publicJwk): Promise<string> {
  const payload: Record<string, unknown> = { htm: claims.htm ?? "POST", htu: claims.htu, jti: claims.jti ?? randomUUID() };
  if (claims.nonce) payload.nonce = claims.nonce;
  if (claims.accessToken) payload.ath = createHash("sha256").update(claims.accessToken).digest("base64url");
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

/** An unsigned proof (`alg: none`): it must never be accepted. */
export function unsignedProof(key: TestDpopKey, claims: ProofClaims): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = { alg: "none", typ: "dpop+jwt", jwk: key.publicJwk };
  const payload = { htm: "POST", htu: claims.htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) };
  return `${part(header)}.${part(payload)}.`;
}

/** An HS256 proof (a MAC, not a signature): it must never be accepted. */
export async function macProof(key: TestDpopKey, claims: ProofClaims): Promise<string> {
  return new SignJWT({ htm: "POST", htu: claims.htu, jti: randomUUID() })
    .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk: key.publicJwk })
    .setIssuedAt()
    .sign(new TextEncoder().encode("a shared secret of at least 32 bytes!"));
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
  body: any;
}

/**
 * A request over node:http, which (unlike fetch) sends any Host header and repeated headers as
 * given (an array value is sent as several header lines).
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; form?: Record<string, string> } = {},
): Promise<RawResponse> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string | string[]> = { ...options.headers };
  if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Token events in the audit log: unchanged means nothing was issued. */
export async function issuedCount(t: TestWard): Promise<number> {
  let count = 0;
  for (const type of ["token.issued", "token.refreshed"]) {
    const body = (await (await t.admin(`/admin/v1/audit-events?limit=1000&type=${type}`)).json()) as { audit_events: unknown[] };
    count += body.audit_events.length;
  }
  return count;
}
