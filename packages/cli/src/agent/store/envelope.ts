import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** The on-disk form of the store: AES-256-GCM over the JSON, with the key's fingerprint to tell a wrong key from damage. */
export interface Envelope {
  format: "ward-agent-store";
  version: 1;
  alg: "A256GCM";
  key_id: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/** A short public fingerprint of a master key (SHA-256 of a label and the key), safe to print. */
export function keyId(key: Buffer): string {
  return createHash("sha256").update("ward-agent-store-key-id\0").update(key).digest("base64url").slice(0, 12);
}

export function seal(key: Buffer, plaintext: string): Envelope {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from("ward-agent-store/1"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return {
    format: "ward-agent-store",
    version: 1,
    alg: "A256GCM",
    key_id: keyId(key),
    iv: iv.toString("base64url"),
    tag: cipher.getAuthTag().toString("base64url"),
    ciphertext: ciphertext.toString("base64url"),
  };
}

/** Decrypts; throws on a failed authentication tag (the caller tells a wrong key from damage by key_id first). */
export function open(key: Buffer, envelope: Envelope): string {
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(envelope.iv, "base64url"));
  decipher.setAAD(Buffer.from("ward-agent-store/1"));
  decipher.setAuthTag(Buffer.from(envelope.tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(envelope.ciphertext, "base64url")), decipher.final()]).toString("utf8");
}

/** Why `value` is not an envelope, or undefined when it is one. */
export function envelopeProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "it is not a JSON object";
  const e = value as Record<string, unknown>;
  if (e.format !== "ward-agent-store") return `format is ${JSON.stringify(e.format)}, expected "ward-agent-store"`;
  if (e.version !== 1) return `version is ${JSON.stringify(e.version)}, expected 1 (written by another Ward version?)`;
  for (const field of ["key_id", "iv", "tag", "ciphertext"])
    if (typeof e[field] !== "string" || e[field] === "") return `${field} is missing`;
  return undefined;
}
