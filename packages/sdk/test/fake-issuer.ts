import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A minimal issuer on loopback: RFC 8414 metadata and a JWKS whose keys tests change; counts JWKS fetches. */
export class FakeIssuer {
  issuer = "";
  keys: SigningKey[] = [];
  jwksFetches = 0;
  metadataIssuer: string | undefined;
  private server: Server | undefined;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (req.url === "/.well-known/oauth-authorization-server") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ issuer: this.metadataIssuer ?? this.issuer, jwks_uri: `${this.issuer}/jwks.json` }));
      } else if (req.url === "/jwks.json") {
        this.jwksFetches++;
        res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=600" });
        res.end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  async addKey(kid: string): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const key = { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
    this.keys.push(key);
    return key;
  }

  /** An RFC 9068 access token; `claims` and `header` override the defaults. */
  async token(key: SigningKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      client_id: "agent",
      scope: "notes:read",
      sub: "usr_1",
      iss: this.issuer,
      aud: "https://api.example.test/notes",
      iat: now,
      exp: now + 300,
      jti: `at_${now}_${Math.random()}`,
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt", ...header })
      .sign(key.privateKey);
  }
}
