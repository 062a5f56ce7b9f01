import { z } from "zod";
import { redirectPatternProblem } from "../registration/redirect-patterns.js";

/** How an environment variable's text becomes the key's value. */
export type EnvKind = "string" | "integer" | "boolean" | "list";

export interface KeySpec {
  readonly schema: z.ZodType;
  readonly env: EnvKind;
  /** undefined: no default (the key is optional). */
  readonly default: string | number | boolean | readonly string[] | undefined;
  /** The documentation of the key: rendered into docs/configuration.md. */
  readonly doc: string;
  /** Secrets are redacted by `ward config check` and never logged. */
  readonly secret?: boolean;
}

const port = z.number().int().min(0).max(65535);
const seconds = z
  .number()
  .int()
  .min(1)
  .max(10 * 365 * 24 * 3600);

/**
 * Every configuration key, its schema, default and documentation. This table is the single
 * source of the zod schema, the WARD_* environment mapping and docs/configuration.md.
 */
export const configSpec = {
  server: {
    issuer: {
      schema: z.string().min(1),
      env: "string",
      default: "http://127.0.0.1:9000",
      doc: "The issuer identifier and public base URL, exactly as clients see it (no trailing slash). A non-loopback issuer must be https and turns on the production checks. When unset, `http://127.0.0.1:<server.port>`.",
    },
    host: {
      schema: z.string().min(1),
      env: "string",
      default: "127.0.0.1",
      doc: "Address the public listener binds. Use 0.0.0.0 inside a container or behind a load balancer.",
    },
    port: { schema: port, env: "integer", default: 9000, doc: "Port of the public listener (0 picks a free port)." },
    shutdown_timeout: {
      schema: seconds,
      env: "integer",
      default: 10,
      doc: "Seconds a SIGTERM waits for in-flight requests before connections are closed.",
    },
  },
  admin: {
    host: {
      schema: z.string().min(1),
      env: "string",
      default: "127.0.0.1",
      doc: "Address of the admin API listener. Keep it on loopback; a public address needs admin.tls_terminated.",
    },
    port: { schema: port, env: "integer", default: 9001, doc: "Port of the admin API listener (0 picks a free port)." },
    api_key: {
      schema: z.string().min(1).optional(),
      env: "string",
      default: undefined,
      secret: true,
      doc: "Bearer key of the admin API (at least 32 characters; required for a non-loopback issuer). Generate with `openssl rand -hex 32`.",
    },
    tls_terminated: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Acknowledges that a TLS-terminating proxy fronts the admin listener; required to bind admin.host to a non-loopback address.",
    },
  },
  database: {
    url: {
      schema: z.string().min(1),
      env: "string",
      default: "sqlite:ward.db",
      doc: "`sqlite:<path>` (embedded, WAL), `sqlite::memory:` or `postgres://user:password@host:5432/db`; PostgreSQL on the same host through its Unix socket: `postgres:///db?host=/var/run/postgresql&user=ward` (about 0.7× Ward's CPU per token of TCP loopback, bench/README part 12). `ward dev` always uses `<data-dir>/ward.db`.",
    },
    pool_max: {
      schema: z.number().int().min(1).max(500),
      env: "integer",
      default: 10,
      doc: "Maximum PostgreSQL connections per instance.",
    },
    prepared_statements: {
      schema: z.boolean(),
      env: "boolean",
      default: true,
      doc: "PostgreSQL: each connection parses and plans a statement once and reuses it (named prepared statements; names are hashes of the statement text). Set false when a pooler in transaction mode without prepared-statement support (PgBouncer before 1.21, or with max_prepared_statements = 0) sits between Ward and PostgreSQL; Ward also turns them off by itself, with a warning, when it sees one.",
    },
    record_cache_ttl: {
      schema: z.number().int().min(0).max(60),
      env: "integer",
      default: 5,
      doc: "Seconds each instance keeps a client or resource in memory for the token endpoint. A change, secret rotation or deletion made through another instance's admin API or client management takes effect here after at most this long (on the instance that made it, at once); new clients and resources are seen at once everywhere. 0 reads the database on every request.",
    },
  },
  session: {
    lifetime: {
      schema: seconds,
      env: "integer",
      default: 7 * 86400,
      doc: "Seconds a Ward sign-in (the `ward_session` cookie) lasts before the user signs in again.",
    },
    secret: {
      schema: z.string().min(1).optional(),
      env: "string",
      default: undefined,
      secret: true,
      doc: "Signs session and CSRF cookies (at least 32 characters; required for a non-loopback issuer). Generate with `openssl rand -hex 32`.",
    },
  },
  secrets: {
    master_key: {
      schema: z.string().min(1).optional(),
      env: "string",
      default: undefined,
      secret: true,
      doc: "32 random bytes as 64 hex or 43 base64url characters. Encrypts signing keys (and vault tokens) at rest with AES-256-GCM. Required for a non-loopback issuer; `ward dev` generates one in its data dir. Losing it makes stored keys unreadable.",
    },
  },
  keys: {
    algorithm: {
      schema: z.enum(["ES256", "RS256", "PS256", "EdDSA"]),
      env: "string",
      default: "ES256",
      doc: "Algorithm of newly generated signing keys: ES256 (default), RS256, PS256 or EdDSA (Ed25519). Existing keys keep theirs until rotated.",
    },
    rotation_interval: {
      schema: z.string().regex(/^(off|[1-9]\d*[smhd])$/, "off, or a duration such as 90d, 12h, 30m"),
      env: "string",
      default: "off",
      doc: "Rotate the signing key automatically when the active key is older than this (e.g. `90d`); `off` rotates only on `ward admin keys rotate`.",
    },
    publish_ahead: {
      schema: z
        .number()
        .int()
        .min(0)
        .max(30 * 86400),
      env: "integer",
      default: 360,
      doc: "Seconds the next signing key must have been in /jwks.json before a rotation lets it sign; at least keys.jwks_max_age in production. `ward dev` uses 0. `ward admin keys rotate --force` skips the wait (key compromise).",
    },
    jwks_max_age: {
      schema: z.number().int().min(0).max(86400),
      env: "integer",
      default: 300,
      doc: "Seconds clients may cache /jwks.json (its Cache-Control max-age). The next signing key is always published ahead of use.",
    },
  },
  tokens: {
    access_token_ttl: {
      schema: seconds,
      env: "integer",
      default: 3600,
      doc: "Default access token lifetime in seconds, for resources that do not set their own. A retired signing key stays in JWKS until the longest-lived token it signed expired. Precedence: the client's `access_token_ttl`, then the resource's, then this.",
    },
    id_token_ttl: {
      schema: seconds,
      env: "integer",
      default: 3600,
      doc: "ID token lifetime in seconds, unless the client sets `id_token_ttl`.",
    },
    refresh_token_ttl: {
      schema: seconds,
      env: "integer",
      default: 30 * 86400,
      doc: "Absolute lifetime in seconds of a refresh token family (every rotation keeps the family's end), unless the client sets `refresh_token_ttl`.",
    },
    refresh_token_idle_ttl: {
      schema: seconds,
      env: "integer",
      default: 14 * 86400,
      doc: "Public clients only: a refresh token unused for this many seconds expires (confidential clients are bound by their secret instead).",
    },
    refresh_grace_period: {
      schema: z.number().int().min(0).max(60),
      env: "integer",
      default: 0,
      doc: "Seconds after a rotation in which the same refresh token sent again (a duplicate concurrent request) gets the same new pair instead of revoking the family. 0 turns it off; keep it at a few seconds at most.",
    },
    refresh_without_offline_access: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Issue a refresh token on every code exchange (and device code redemption) of a client allowed the refresh_token grant, even when it did not ask for the `offline_access` scope. MCP clients (the official SDKs) usually do not ask for it; turn this on so they refresh instead of signing in again. `ward dev` turns it on.",
    },
    authorization_code_ttl: {
      schema: z.number().int().min(10).max(600),
      env: "integer",
      default: 600,
      doc: "Seconds an authorization code can be redeemed (at most 600, RFC 6749 §4.1.2).",
    },
  },
  grants: {
    client_credentials: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Allow grant_type=client_credentials (RFC 6749 §4.4) for confidential clients registered with it; the token's sub is the client and its scopes are limited to the client's registered `scope`. `ward dev` turns it on.",
    },
    device_code: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Allow the device authorization grant (RFC 8628): POST /device_authorization, the /device page and grant_type=urn:ietf:params:oauth:grant-type:device_code, for clients registered with that grant. `ward dev` turns it on.",
    },
    token_exchange: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Allow grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693) for confidential clients registered with it: a Ward access token is exchanged for one for another resource that lists the client in `token_exchange_clients`, with narrower or equal scopes, never outliving it; an actor_token adds a nested `act` claim (delegation). `ward dev` turns it on.",
    },
    jwt_bearer: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Allow grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (RFC 7523, and ID-JAG identity assertions for cross-app access) for confidential clients registered with it, on assertions from issuers registered at /admin/v1/trusted-issuers. `ward dev` turns it on.",
    },
  },
  device: {
    code_ttl: {
      schema: z.number().int().min(60).max(1800),
      env: "integer",
      default: 600,
      doc: "Seconds a device code and its user code stay valid (the `expires_in` of the device authorization response).",
    },
    interval: {
      schema: z.number().int().min(1).max(60),
      env: "integer",
      default: 5,
      doc: "Seconds a device must wait between two polls of /token; a faster poll is answered `slow_down` and adds 5 seconds to that device code's interval (RFC 8628 §3.5).",
    },
    user_code_attempts: {
      schema: z.number().int().min(1).max(1000),
      env: "integer",
      default: 10,
      doc: "Codes one IP address, or one browser, may enter on the /device page within login.lockout_seconds (right or wrong: a valid code of one's own must not reset the count) before code entry from it pauses for login.lockout_seconds.",
    },
  },
  par: {
    request_uri_ttl: {
      schema: z.number().int().min(5).max(600),
      env: "integer",
      default: 60,
      doc: "Seconds a request_uri from the pushed authorization request endpoint (POST /par, RFC 9126) can be used at /authorize (5 to 600). Each request_uri is single use and bound to the client that pushed it.",
    },
    required: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Require pushed authorization requests (RFC 9126 §5) from every client: /authorize then accepts only client_id and a request_uri from POST /par. Per client: `require_pushed_authorization_requests`. Advertised as `require_pushed_authorization_requests` in the metadata. `ward dev` keeps it off (POST /par is always available).",
    },
  },
  registration: {
    policy: {
      schema: z.enum(["open", "initial_access_token", "approved_redirects", "admin_only"]),
      env: "string",
      default: "admin_only",
      doc: "Who may register clients at POST /register (RFC 7591): `admin_only` (no dynamic registration; /register is not advertised), `open` (anyone), `initial_access_token` (holders of a token from `ward admin registration-tokens create`), `approved_redirects` (anyone, with redirect URIs matching registration.approved_redirects). `ward dev` uses `open`.",
    },
    approved_redirects: {
      schema: z.array(
        z.string().superRefine((pattern, ctx) => {
          const problem = redirectPatternProblem(pattern);
          if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(pattern)}: ${problem}` });
        }),
      ),
      env: "list",
      default: [],
      doc: "Redirect URI patterns a client may register under the approved_redirects policy (YAML list; env: comma-separated). A pattern is an exact URI, or has `*` as its whole leftmost host label (`https://*.example.com/cb`: one label, no dots) and/or as its last path segment (`https://app.example.com/oauth/*`: any path below, no query, no `..`). Nothing else is a wildcard.",
    },
    client_id_metadata_documents: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Accept an https URL as client_id (OAuth Client ID Metadata Documents, used by MCP clients): Ward fetches the document (https only, public addresses, no redirects, 5 KiB, 5 s), caches it per its Cache-Control (at most 24 h) and checks it. `ward dev` turns it on.",
    },
    rate_limit: {
      schema: z.number().int().min(1).max(100000),
      env: "integer",
      default: 20,
      doc: "Dynamic registrations accepted per client IP address per hour (429 registration_rate_limited beyond). Behind a proxy every client shares the proxy's address.",
    },
  },
  dpop: {
    require_nonce: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Require a server-provided nonce in DPoP proofs (RFC 9449 §8) at /token and /userinfo: a proof without the current one is answered `use_dpop_nonce` with a `DPoP-Nonce` header (clients such as openid-client retry once). Nonces are an HMAC of the time under a key derived from secrets.master_key, so every instance accepts the others' nonces without shared state.",
    },
    nonce_lifetime: {
      schema: z.number().int().min(10).max(3600),
      env: "integer",
      default: 300,
      doc: "Seconds one DPoP nonce period lasts; a nonce is accepted during its period and the next one (so for one to two periods). Every response of /token and /userinfo carries the current nonce while dpop.require_nonce is on.",
    },
    iat_window: {
      schema: z.number().int().min(1).max(600),
      env: "integer",
      default: 60,
      doc: "Seconds a DPoP proof's `iat` may lie before or after the server's clock; its `jti` is remembered (in the database, shared by every instance) for as long.",
    },
  },
  token_exchange: {
    max_chain_depth: {
      schema: z.number().int().min(1).max(10),
      env: "integer",
      default: 3,
      doc: "Most actors an exchanged token's nested `act` chain may hold (RFC 8693 §4.1); a delegation beyond it is refused with token_exchange_chain_too_deep.",
    },
  },
  jwt_bearer: {
    max_assertion_age: {
      schema: z.number().int().min(10).max(3600),
      env: "integer",
      default: 300,
      doc: "Seconds after its `iat` a JWT bearer assertion (or ID-JAG) is still accepted; older ones are refused with jwt_bearer_assertion_stale. Its `jti` is remembered that long so it is redeemed once.",
    },
  },
  login: {
    max_failures: {
      schema: z.number().int().min(1).max(100),
      env: "integer",
      default: 5,
      doc: "Failed sign-ins for one email (known or not) within login.lockout_seconds before sign-in for it pauses for login.lockout_seconds (answered 429 with Retry-After).",
    },
    lockout_seconds: {
      schema: seconds,
      env: "integer",
      default: 300,
      doc: "Length of the failure window and of the pause after login.max_failures failures.",
    },
    two_factor: {
      schema: z.enum(["optional", "required"]),
      env: "string",
      default: "optional",
      doc: "`optional`: users turn on TOTP on their account page. `required`: a user without TOTP enrols (QR code, recovery codes) during their next sign-in.",
    },
    interaction_ttl: {
      schema: z.number().int().min(60).max(3600),
      env: "integer",
      default: 600,
      doc: "Seconds a user has to finish an authorization request (sign-in, 2FA, consent); the pages show the time left.",
    },
  },
  dev: {
    callback: {
      schema: z.boolean(),
      env: "boolean",
      default: false,
      doc: "Serve /dev/callback, a page that redeems a code of the dev demo client and shows the decoded tokens. Only on a loopback issuer; `ward dev` turns it on.",
    },
  },
  logging: {
    level: {
      schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
      env: "string",
      default: "info",
      doc: "pino log level of request and event logs (JSON lines on stdout).",
    },
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

export type ConfigSpec = typeof configSpec;
export type SectionName = keyof ConfigSpec;

type Value<K> = K extends { schema: z.ZodType<infer T> } ? T : never;

/** The effective, validated configuration. */
export type WardConfig = { [S in SectionName]: { [K in keyof ConfigSpec[S]]: Value<ConfigSpec[S][K]> } };

export const sectionNames = Object.keys(configSpec) as SectionName[];

/** Iterates every key as `[section, key, spec]`. */
export function* allKeys(): Generator<[string, string, KeySpec]> {
  for (const [section, keys] of Object.entries(configSpec)) {
    for (const [key, spec] of Object.entries(keys as Record<string, KeySpec>)) yield [section, key, spec];
  }
}

/** `WARD_<SECTION>_<KEY>` for a key path. */
export function envName(section: string, key: string): string {
  return `WARD_${section}_${key}`.toUpperCase();
}
