import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const DEFAULT_DATA_DIR = ".ward";

export interface DevCredentials {
  demo_user: { email: string; password: string };
  demo_client_id: string;
}

/** The dev data dir: created 0700; its secrets are files readable by the owner only. */
export class DataDir {
  readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
  }

  ensure(): void {
    mkdirSync(this.path, { recursive: true, mode: 0o700 });
    const ignore = join(this.path, ".gitignore");
    if (!existsSync(ignore)) writeFileSync(ignore, "# Ward dev data: secrets and databases, never commit.\n*\n");
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /** Reads a secret file, creating it with `generate()` (mode 0600) the first time. */
  secret(name: string, generate: () => string): string {
    const path = this.file(name);
    if (existsSync(path)) return readFileSync(path, "utf8").trim();
    const value = generate();
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return value;
  }

  masterKey(): string {
    return this.secret("master.key", () => randomBytes(32).toString("hex"));
  }

  adminKey(): string {
    return this.secret("admin.key", () => randomBytes(32).toString("base64url"));
  }

  /** The admin key if the dir has one (for `ward admin` without --key). */
  existingAdminKey(): string | undefined {
    const path = this.file("admin.key");
    return existsSync(path) ? readFileSync(path, "utf8").trim() : undefined;
  }

  readCredentials(): DevCredentials | undefined {
    const path = this.file("dev.json");
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as DevCredentials) : undefined;
  }

  writeCredentials(credentials: DevCredentials): void {
    writeFileSync(this.file("dev.json"), `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  }
}
