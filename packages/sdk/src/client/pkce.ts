import { randomBytes } from "node:crypto";
import { s256Challenge } from "@ward/core";

export interface Pkce {
  /** Keep it; send it with the code to the token endpoint. */
  verifier: string;
  /** Send with the authorization request. */
  challenge: string;
  method: "S256";
}

/** A fresh RFC 7636 S256 pair: a 256-bit verifier (43 base64url characters) and its challenge. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: s256Challenge(verifier), method: "S256" };
}
