import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const VERSION = "v1";
const TAG_LENGTH = 16;

/**
 * AES-256-GCM under the master key. `context` is bound as additional authenticated data, so a
 * ciphertext moved to another row (another kid, another tenant) fails to decrypt.
 * Format: `v1.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
export function seal(masterKey: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", masterKey, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** Reverses {@link seal}; throws when the key, the context or the data do not match. */
export function open(masterKey: Buffer, sealed: string, context: string): string {
  const [version, iv, ciphertext, tag] = sealed.split(".");
  if (version !== VERSION || !iv || ciphertext === undefined || !tag) throw new Error(`unknown sealed format ${version ?? ""}`);
  const authTag = Buffer.from(tag, "base64url");
  if (authTag.length !== TAG_LENGTH) throw new Error(`authentication tag is ${authTag.length} bytes, expected ${TAG_LENGTH}`);
  const decipher = createDecipheriv("aes-256-gcm", masterKey, Buffer.from(iv, "base64url"), { authTagLength: TAG_LENGTH });
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(authTag);
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}

/** A short, non-secret identifier of a master key (safe to store and print). */
export function masterKeyFingerprint(masterKey: Buffer): string {
  return createHash("sha256").update("ward master key fingerprint\0").update(masterKey).digest("hex").slice(0, 16);
}
