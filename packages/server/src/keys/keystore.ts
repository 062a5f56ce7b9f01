import { WardError } from "@ward/core";
import type { JWK } from "jose";
import type { Kysely } from "kysely";
import { isUniqueViolation } from "../store/errors.js";
import type { Database } from "../store/schema.js";
import { getSetting, setSetting } from "../store/settings.js";
import { deleteSigningKey, insertSigningKey, listSigningKeys, type SigningKeyRecord, updateSigningKey } from "../store/signing-keys.js";
import { generateSigningKey, type SigningAlgorithm } from "./algorithms.js";
import { importNodeSigningKey, type NodeSigningKey } from "./jws.js";
import { masterKeyFingerprint, open, seal } from "./secret-box.js";

/** Seconds a retired key stays published beyond the longest token lifetime, for clock skew. */
const CLOCK_SKEW_SECONDS = 60;
/** Seconds other instances may keep signing with a retired key before their periodic reload. */
export const KEY_RELOAD_SECONDS = 60;

export interface KeyStoreOptions {
  db: Kysely<Database>;
  tenantId: string;
  masterKey: Buffer;
  algorithm: SigningAlgorithm;
  /** Seconds: the longest lifetime any token signed now can have. */
  maxTokenLifetime: () => Promise<number>;
  /** Seconds the next key must have been published before it may sign (keys.publish_ahead). */
  publishAheadSeconds?: number;
  now?: () => number;
}

export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Imported once per load: signing with node:crypto directly costs a fraction of jose's WebCrypto path. */
  signer: NodeSigningKey;
}

/** A key as listed by the admin API (never the private part). */
export interface KeySummary {
  kid: string;
  alg: string;
  state: "next" | "active" | "retired";
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  published_until: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Signing keys of one tenant. There is always one `active` key (signs), one `next` key (already
 * published in JWKS, so verifiers know it before it signs) and any `retired` keys still inside
 * the lifetime of tokens they signed (published, private part wiped).
 */
export class KeyStore {
  private readonly options: KeyStoreOptions;
  private readonly now: () => number;
  private published: JWK[] = [];
  private active: ActiveSigningKey | undefined;
  private records: SigningKeyRecord[] = [];

  constructor(options: KeyStoreOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  private context(kid: string): string {
    return `ward signing key\0${this.options.tenantId}\0${kid}`;
  }

  /** Checks the master key, creates missing keys, replaces an unused `next` key of another algorithm, then loads. */
  async initialize(): Promise<void> {
    const { db, tenantId, masterKey, algorithm } = this.options;
    const fingerprint = masterKeyFingerprint(masterKey);
    const stored = await getSetting(db, tenantId, "master_key_fingerprint");
    const existing = await listSigningKeys(db, tenantId);
    if (stored && stored !== fingerprint) {
      throw new WardError("master_key_mismatch", {
        kid: existing.find((k) => k.state === "active")?.kid ?? "(any)",
        stored_fingerprint: stored,
        configured_fingerprint: fingerprint,
      });
    }
    if (!stored) await setSetting(db, tenantId, "master_key_fingerprint", fingerprint);
    try {
      await db.transaction().execute(async (trx) => {
        const keys = await listSigningKeys(trx, tenantId);
        const now = this.now();
        if (!keys.some((k) => k.state === "active")) await this.insertKey(trx, algorithm, "active", now);
        const next = keys.find((k) => k.state === "next");
        if (next && next.alg !== algorithm) await deleteSigningKey(trx, tenantId, next.kid);
        if (!next || next.alg !== algorithm) await this.insertKey(trx, algorithm, "next", now);
      });
    } catch (error) {
      // Another instance booting at the same moment created the keys first: use them.
      if (!isUniqueViolation(error)) throw error;
    }
    await this.load();
  }

  private async insertKey(db: Kysely<Database>, alg: SigningAlgorithm, state: "active" | "next", now: number): Promise<string> {
    const key = await generateSigningKey(alg);
    await insertSigningKey(db, this.options.tenantId, {
      kid: key.kid,
      alg,
      public_jwk: key.publicJwk,
      private_jwk_encrypted: seal(this.options.masterKey, JSON.stringify(key.privateJwk), this.context(key.kid)),
      state,
      created_at: now,
      activated_at: state === "active" ? now : null,
      retired_at: null,
      publish_until: null,
    });
    return key.kid;
  }

  /** Reloads keys from the database (other instances may have rotated) and drops expired retired keys. */
  async load(): Promise<void> {
    const { db, tenantId, masterKey } = this.options;
    const now = this.now();
    const records = await listSigningKeys(db, tenantId);
    for (const expired of records.filter((k) => k.state === "retired" && (k.publish_until ?? 0) <= now)) {
      await deleteSigningKey(db, tenantId, expired.kid);
    }
    this.records = records.filter((k) => !(k.state === "retired" && (k.publish_until ?? 0) <= now));
    const activeRecord = this.records.find((k) => k.state === "active");
    if (!activeRecord?.private_jwk_encrypted) throw new WardError("no_active_signing_key", { tenant: tenantId });
    let privateJwk: JWK;
    try {
      privateJwk = JSON.parse(open(masterKey, activeRecord.private_jwk_encrypted, this.context(activeRecord.kid))) as JWK;
    } catch {
      throw new WardError("master_key_mismatch", {
        kid: activeRecord.kid,
        stored_fingerprint: (await getSetting(db, tenantId, "master_key_fingerprint")) ?? "unknown",
        configured_fingerprint: masterKeyFingerprint(masterKey),
      });
    }
    this.active = {
      kid: activeRecord.kid,
      alg: activeRecord.alg as SigningAlgorithm,
      signer: importNodeSigningKey(privateJwk, activeRecord.alg as SigningAlgorithm),
    };
    const order = { active: 0, next: 1, retired: 2 } as const;
    this.published = [...this.records]
      .sort((a, b) => order[a.state] - order[b.state] || b.created_at - a.created_at)
      .map((k) => k.public_jwk);
  }

  /** The key that signs now. */
  signingKey(): ActiveSigningKey {
    if (!this.active) throw new WardError("no_active_signing_key", { tenant: this.options.tenantId });
    return this.active;
  }

  /** The public JWK Set: active, next and still-needed retired keys. */
  jwks(): { keys: JWK[] } {
    return { keys: this.published };
  }

  list(): KeySummary[] {
    return this.records.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.state,
      created_at: iso(k.created_at) as string,
      activated_at: iso(k.activated_at),
      retired_at: iso(k.retired_at),
      published_until: iso(k.publish_until),
    }));
  }

  /**
   * Promotes the pre-published `next` key to `active`, retires the current key (its private part is
   * wiped; it stays in JWKS until every token it signed has expired) and publishes a fresh `next`.
   * Refuses with `key_rotation_too_early` while the next key has been published for less than
   * keys.publish_ahead, unless `force` (after a key compromise).
   */
  async rotate(options: { force?: boolean } = {}): Promise<{ retired: string; active: string; next: string }> {
    const result = await this.rotateInTransaction(undefined, options.force === true);
    if (!result) throw new WardError("no_active_signing_key", { tenant: this.options.tenantId });
    return result;
  }

  /**
   * Rotates when the active key is older than `intervalMs`; true when it rotated. The age is
   * checked inside the rotation's transaction, so instances racing on the schedule rotate once.
   */
  async rotateIfDue(intervalMs: number): Promise<boolean> {
    try {
      return (await this.rotateInTransaction(intervalMs, false)) !== undefined;
    } catch (error) {
      if (error instanceof WardError && (error.code === "key_rotation_conflict" || error.code === "key_rotation_too_early")) {
        await this.load();
        return false;
      }
      throw error;
    }
  }

  private async rotateInTransaction(
    onlyIfOlderThanMs: number | undefined,
    force: boolean,
  ): Promise<{ retired: string; active: string; next: string } | undefined> {
    const { tenantId, algorithm } = this.options;
    const now = this.now();
    const lifetime = await this.options.maxTokenLifetime();
    const result = await this.transactionOrConflict(async (trx) => {
      const keys = await listSigningKeys(trx, tenantId);
      const current = keys.find((k) => k.state === "active");
      const next = keys.find((k) => k.state === "next");
      if (!current || !next) throw new WardError("no_active_signing_key", { tenant: tenantId });
      if (onlyIfOlderThanMs !== undefined && (current.activated_at ?? current.created_at) + onlyIfOlderThanMs > now) return undefined;
      const required = this.options.publishAheadSeconds ?? 0;
      const published = Math.floor((now - next.created_at) / 1000);
      if (!force && published < required) {
        throw new WardError("key_rotation_too_early", { kid: next.kid, published, required, wait: required - published });
      }
      // Retire first, then promote: the database allows one active and one next key at a time.
      const publishUntil = now + (lifetime + CLOCK_SKEW_SECONDS + KEY_RELOAD_SECONDS) * 1000;
      const retired = await updateSigningKey(
        trx,
        tenantId,
        current.kid,
        { state: "retired", retired_at: now, private_jwk_encrypted: null, publish_until: publishUntil },
        "active",
      );
      const promoted = retired && (await updateSigningKey(trx, tenantId, next.kid, { state: "active", activated_at: now }, "next"));
      if (!promoted || !retired) throw new WardError("key_rotation_conflict", { kid: current.kid });
      const fresh = await this.insertKey(trx, algorithm, "next", now);
      return { retired: current.kid, active: next.kid, next: fresh };
    });
    await this.load();
    return result;
  }

  /** Runs a rotation transaction; a unique violation means another instance rotated concurrently. */
  private async transactionOrConflict<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    try {
      return await this.options.db.transaction().execute(fn);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await this.load();
      throw new WardError("key_rotation_conflict", { kid: this.active?.kid ?? "unknown" });
    }
  }
}
