import { readFileSync } from "node:fs";
import { isWardError, toOAuthJson } from "@ward/core";
import { type Command, Option } from "commander";
import { type AdminResponse, adminRequest, resolveAdminTarget } from "../admin-client.js";
import { EXIT, err, out, printErrorBody, printJson, printRecord, printTable } from "../output.js";

interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  url?: string;
  key?: string;
  dataDir?: string;
}

type Present = (body: Record<string, unknown>) => void;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Runs one admin call and prints its result; sets the documented exit code. */
async function call(command: Command, method: string, path: string, body: unknown, present: Present): Promise<void> {
  const globals = command.optsWithGlobals() as GlobalOptions;
  let response: AdminResponse;
  try {
    response = await adminRequest(resolveAdminTarget(globals), method, path, body);
  } catch (error) {
    if (!isWardError(error)) throw error;
    response = { status: 0, body: toOAuthJson(error) };
  }
  const payload = (response.body ?? {}) as Record<string, unknown>;
  if (response.status >= 200 && response.status < 300) {
    if (globals.json) printJson(response.status === 204 ? { ok: true } : payload);
    else if (!globals.quiet) present(payload);
    process.exitCode = EXIT.ok;
    return;
  }
  if (globals.json) printJson(payload);
  else printErrorBody(payload as Parameters<typeof printErrorBody>[0]);
  if (response.status !== 0) process.exitCode = EXIT.rejected;
  else process.exitCode = payload.code === "admin_api_unreachable" ? EXIT.unreachable : EXIT.usage;
}

/** A JSON body from --body '<json>' or --file <path>, merged under the flags. */
function baseBody(options: { body?: string; file?: string }): Record<string, unknown> {
  const text = options.body ?? (options.file ? readFileSync(options.file, "utf8") : undefined);
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {}
  err(`✗ --body/--file must be a JSON object; received ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`);
  process.exit(EXIT.usage);
}

function withBodyOptions(command: Command): Command {
  return command
    .option("--body <json>", "the request body as JSON (flags override its fields)")
    .option("--file <path>", "read the JSON body from a file");
}

const clientColumns = ["client_id", "client_name", "token_endpoint_auth_method", "grant_types", "redirect_uris"];

function clientFlags(command: Command): Command {
  return withBodyOptions(command)
    .option("--name <name>", "client_name")
    .option("--redirect-uri <uri>", "redirect_uris entry (repeatable)", collect)
    .option("--post-logout-redirect-uri <uri>", "post_logout_redirect_uris entry (repeatable)", collect)
    .option("--grant-type <type>", "grant_types entry (repeatable)", collect)
    .addOption(
      new Option("--auth-method <method>", "token_endpoint_auth_method").choices([
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
      ]),
    )
    .option("--scope <scope>", "space-separated scopes the client may request")
    .addOption(new Option("--application-type <type>", "application_type").choices(["web", "native"]))
    .option("--jwks-uri <uri>", "jwks_uri (private_key_jwt)")
    .option("--skip-consent", "first-party client: skip the consent page")
    .option("--no-skip-consent", "ask for consent")
    .option("--require-par", "require pushed authorization requests (RFC 9126): /authorize accepts only a request_uri from /par")
    .option("--no-require-par", "accept authorization parameters on the front channel too")
    .option("--access-token-ttl <seconds>", "access token lifetime for this client (overrides the resource's)", seconds)
    .option("--id-token-ttl <seconds>", "ID token lifetime for this client", seconds)
    .option("--refresh-token-ttl <seconds>", "refresh token family lifetime for this client", seconds)
    .option("--dpop-bound-access-tokens", "refuse this client's token requests without a DPoP proof (RFC 9449 §5.2)")
    .option("--no-dpop-bound-access-tokens", "accept this client's token requests without a DPoP proof");
}

/** Whole numbers become numbers; anything else is sent as typed, so the server names the bad value. */
function seconds(value: string): number | string {
  return /^\d{1,10}$/.test(value) ? Number(value) : value;
}

function clientBody(options: Record<string, unknown>): Record<string, unknown> {
  const body = baseBody(options as { body?: string; file?: string });
  const map: Record<string, string> = {
    clientId: "client_id",
    name: "client_name",
    redirectUri: "redirect_uris",
    postLogoutRedirectUri: "post_logout_redirect_uris",
    grantType: "grant_types",
    authMethod: "token_endpoint_auth_method",
    scope: "scope",
    applicationType: "application_type",
    jwksUri: "jwks_uri",
    skipConsent: "skip_consent",
    requirePar: "require_pushed_authorization_requests",
    accessTokenTtl: "access_token_ttl",
    idTokenTtl: "id_token_ttl",
    refreshTokenTtl: "refresh_token_ttl",
    dpopBoundAccessTokens: "dpop_bound_access_tokens",
  };
  for (const [flag, field] of Object.entries(map)) if (options[flag] !== undefined) body[field] = options[flag];
  return body;
}

function presentClient(body: Record<string, unknown>): void {
  printRecord(body);
  if (typeof body.client_secret === "string") out("\nclient_secret is shown only once: store it now.");
}

function registerClients(admin: Command): void {
  const clients = admin.command("clients").description("OAuth clients (RFC 7591 metadata)");
  clientFlags(
    clients.command("create").description("Register a client").option("--client-id <id>", "choose the client_id (default: generated)"),
  ).action((options, command: Command) => call(command, "POST", "/admin/v1/clients", clientBody(options), presentClient));
  clients
    .command("list")
    .description("List clients")
    .action((_, command: Command) =>
      call(command, "GET", "/admin/v1/clients", undefined, (b) => printTable(b.clients as Record<string, unknown>[], clientColumns)),
    );
  clients
    .command("get <client_id>")
    .description("Show a client")
    .action((id: string, _, command: Command) =>
      call(command, "GET", `/admin/v1/clients/${encodeURIComponent(id)}`, undefined, presentClient),
    );
  clientFlags(clients.command("update <client_id>").description("Change a client's metadata")).action(
    (id: string, options, command: Command) =>
      call(command, "PATCH", `/admin/v1/clients/${encodeURIComponent(id)}`, clientBody(options), presentClient),
  );
  clients
    .command("delete <client_id>")
    .description("Delete a client")
    .action((id: string, _, command: Command) =>
      call(command, "DELETE", `/admin/v1/clients/${encodeURIComponent(id)}`, undefined, () => out(`deleted client ${id}`)),
    );
  clients
    .command("rotate <client_id>")
    .description("Rotate a client's secret (the new secret is shown once)")
    .action((id: string, _, command: Command) =>
      call(command, "POST", `/admin/v1/clients/${encodeURIComponent(id)}/rotate-secret`, undefined, presentClient),
    );
}

/** `--scope read="Read files"` → { name, description }. */
function parseScope(value: string, previous: { name: string; description: string }[] = []) {
  const [name, ...rest] = value.split("=");
  return [...previous, { name: name ?? "", description: rest.join("=") || (name ?? "") }];
}

function resourceFlags(command: Command): Command {
  return withBodyOptions(command)
    .option("--uri <uri>", "resource URI (the token audience, RFC 8707)")
    .option("--scope <name=description>", "a scope of this resource (repeatable)", parseScope)
    .option("--ttl <seconds>", "access token lifetime in seconds", seconds)
    .option("--introspection-client <client_id>", "a client allowed to introspect this resource's tokens (repeatable)", collect)
    .option("--dpop-required", "issue tokens for this resource only DPoP-bound (RFC 9449)")
    .option("--no-dpop-required", "also issue Bearer tokens for this resource")
    .option(
      "--token-exchange-client <client_id>",
      "a client allowed to obtain tokens for this resource by token exchange (repeatable)",
      collect,
    )
    .option("--may-act <client_id>", "the one client that may act for tokens issued for this resource (their may_act claim)");
}

function resourceBody(options: Record<string, unknown>): Record<string, unknown> {
  const body = baseBody(options as { body?: string; file?: string });
  if (options.uri !== undefined) body.uri = options.uri;
  if (options.scope !== undefined) body.scopes = options.scope;
  if (options.ttl !== undefined) body.access_token_ttl = options.ttl;
  if (options.introspectionClient !== undefined) body.introspection_clients = options.introspectionClient;
  if (options.dpopRequired !== undefined) body.dpop_required = options.dpopRequired;
  if (options.tokenExchangeClient !== undefined) body.token_exchange_clients = options.tokenExchangeClient;
  if (options.mayAct !== undefined) body.may_act = options.mayAct === "" ? null : options.mayAct;
  return body;
}

function registerResources(admin: Command): void {
  const resources = admin.command("resources").description("Protected resources: URI, scopes, token lifetime");
  resourceFlags(resources.command("create").description("Register a resource")).action((options, command: Command) =>
    call(command, "POST", "/admin/v1/resources", resourceBody(options), printRecord),
  );
  resources
    .command("list")
    .description("List resources")
    .action((_, command: Command) =>
      call(command, "GET", "/admin/v1/resources", undefined, (b) =>
        printTable(
          (b.resources as Record<string, unknown>[]).map((r) => ({ ...r, scopes: (r.scopes as { name: string }[]).map((s) => s.name) })),
          ["id", "uri", "scopes", "access_token_ttl"],
        ),
      ),
    );
  resources
    .command("get <id_or_uri>")
    .description("Show a resource")
    .action((id: string, _, command: Command) =>
      call(command, "GET", `/admin/v1/resources/${encodeURIComponent(id)}`, undefined, printRecord),
    );
  resourceFlags(resources.command("update <id_or_uri>").description("Change a resource")).action((id: string, options, command: Command) =>
    call(command, "PATCH", `/admin/v1/resources/${encodeURIComponent(id)}`, resourceBody(options), printRecord),
  );
  resources
    .command("delete <id_or_uri>")
    .description("Delete a resource")
    .action((id: string, _, command: Command) =>
      call(command, "DELETE", `/admin/v1/resources/${encodeURIComponent(id)}`, undefined, () => out(`deleted resource ${id}`)),
    );
}

function trustedIssuerBody(options: Record<string, unknown>): Record<string, unknown> {
  const body = baseBody(options as { body?: string; file?: string });
  const map: Record<string, string> = {
    issuer: "issuer",
    jwksUri: "jwks_uri",
    clientId: "client_ids",
    resource: "resources",
    subjectMapping: "subject_mapping",
  };
  for (const [flag, field] of Object.entries(map)) if (options[flag] !== undefined) body[field] = options[flag];
  return body;
}

function registerTrustedIssuers(admin: Command): void {
  const issuers = admin
    .command("trusted-issuers")
    .description("Issuers whose JWT assertions (RFC 7523, ID-JAG) the jwt-bearer grant accepts");
  withBodyOptions(issuers.command("create").description("Trust an issuer's assertions"))
    .option("--issuer <iss>", "the assertions' iss, byte for byte")
    .option("--jwks-uri <uri>", "where the issuer publishes its keys (or give jwks in --body)")
    .option("--client-id <client_id>", "a client allowed to redeem this issuer's assertions (repeatable)", collect)
    .option("--resource <uri>", "a resource tokens may be issued for (repeatable)", collect)
    .addOption(
      new Option("--subject-mapping <mapping>", "email: the email claim names a Ward user; external: keep the assertion's sub").choices([
        "email",
        "external",
      ]),
    )
    .action((options, command: Command) => call(command, "POST", "/admin/v1/trusted-issuers", trustedIssuerBody(options), printRecord));
  issuers
    .command("list")
    .description("List trusted issuers")
    .action((_, command: Command) =>
      call(command, "GET", "/admin/v1/trusted-issuers", undefined, (b) =>
        printTable(b.trusted_issuers as Record<string, unknown>[], ["id", "issuer", "client_ids", "resources", "subject_mapping"]),
      ),
    );
  issuers
    .command("get <id_or_issuer>")
    .description("Show a trusted issuer")
    .action((id: string, _, command: Command) =>
      call(command, "GET", `/admin/v1/trusted-issuers/${encodeURIComponent(id)}`, undefined, printRecord),
    );
  issuers
    .command("delete <id_or_issuer>")
    .description("Stop trusting an issuer")
    .action((id: string, _, command: Command) =>
      call(command, "DELETE", `/admin/v1/trusted-issuers/${encodeURIComponent(id)}`, undefined, () => out(`deleted trusted issuer ${id}`)),
    );
}

function userFlags(command: Command): Command {
  return withBodyOptions(command)
    .option("--email <email>", "email (the login name)")
    .option("--password <password>", "password (hashed with scrypt; prefer --body/--file to keep it out of shell history)")
    .option("--name <name>", "display name");
}

function userBody(options: Record<string, unknown>): Record<string, unknown> {
  const body = baseBody(options as { body?: string; file?: string });
  for (const field of ["email", "password", "name"]) if (options[field] !== undefined) body[field] = options[field];
  return body;
}

function registerUsers(admin: Command): void {
  const users = admin.command("users").description("Users who sign in on the hosted pages");
  userFlags(users.command("create").description("Create a user")).action((options, command: Command) =>
    call(command, "POST", "/admin/v1/users", userBody(options), printRecord),
  );
  users
    .command("list")
    .description("List users")
    .action((_, command: Command) =>
      call(command, "GET", "/admin/v1/users", undefined, (b) =>
        printTable(b.users as Record<string, unknown>[], ["id", "email", "name", "disabled"]),
      ),
    );
  users
    .command("get <id_or_email>")
    .description("Show a user")
    .action((id: string, _, command: Command) => call(command, "GET", `/admin/v1/users/${encodeURIComponent(id)}`, undefined, printRecord));
  userFlags(users.command("update <id_or_email>").description("Change a user's email, password or name")).action(
    (id: string, options, command: Command) =>
      call(command, "PATCH", `/admin/v1/users/${encodeURIComponent(id)}`, userBody(options), printRecord),
  );
  for (const [name, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    users
      .command(`${name} <id_or_email>`)
      .description(disabled ? "Disable a user (cannot sign in)" : "Enable a disabled user")
      .action((id: string, _, command: Command) =>
        call(command, "PATCH", `/admin/v1/users/${encodeURIComponent(id)}`, { disabled }, printRecord),
      );
  }
  users
    .command("delete <id_or_email>")
    .description("Delete a user")
    .action((id: string, _, command: Command) =>
      call(command, "DELETE", `/admin/v1/users/${encodeURIComponent(id)}`, undefined, () => out(`deleted user ${id}`)),
    );
}

function registerKeys(admin: Command): void {
  const keys = admin.command("keys").description("Signing keys");
  const table = (b: Record<string, unknown>) =>
    printTable(b.keys as Record<string, unknown>[], ["kid", "alg", "state", "created_at", "published_until"]);
  keys
    .command("list")
    .description("List signing keys (active, next, retired)")
    .action((_, command: Command) => call(command, "GET", "/admin/v1/keys", undefined, table));
  keys
    .command("rotate")
    .description("Promote the pre-published next key; the old key stays in JWKS until its tokens expire")
    .option("--force", "rotate even if the next key was published less than keys.publish_ahead ago (key compromise)")
    .action((options: { force?: boolean }, command: Command) =>
      call(command, "POST", "/admin/v1/keys/rotate", options.force ? { force: true } : undefined, (b) => {
        out(`active key: ${String(b.active)} (retired ${String(b.retired)}, next ${String(b.next)})`);
        table(b);
      }),
    );
}

function registerRegistrationTokens(admin: Command): void {
  const tokens = admin
    .command("registration-tokens")
    .description("Initial access tokens for dynamic registration (registration.policy initial_access_token)");
  tokens
    .command("create")
    .description("Issue a token (shown once); a client sends it as Authorization: Bearer to POST /register")
    .option("--expires-in <seconds>", "lifetime in seconds (default: no expiry)", (value) => Number(value))
    .option("--uses <count>", "number of registrations it allows (default: unlimited)", (value) => Number(value))
    .option("--description <text>", "what it is for")
    .action((options: { expiresIn?: number; uses?: number; description?: string }, command: Command) =>
      call(
        command,
        "POST",
        "/admin/v1/registration-tokens",
        { expires_in: options.expiresIn, uses: options.uses, description: options.description },
        (b) => {
          out(`token (shown once): ${String(b.token)}`);
          printRecord({ ...b, token: undefined });
        },
      ),
    );
  tokens
    .command("list")
    .description("List tokens (never the token values)")
    .action((_, command: Command) =>
      call(command, "GET", "/admin/v1/registration-tokens", undefined, (b) =>
        printTable(b.registration_tokens as Record<string, unknown>[], ["id", "description", "uses", "uses_left", "expires_at"]),
      ),
    );
  tokens
    .command("delete <id>")
    .description("Delete a token: it cannot register clients any more")
    .action((id: string, _, command: Command) =>
      call(command, "DELETE", `/admin/v1/registration-tokens/${encodeURIComponent(id)}`, undefined, () => out(`deleted ${id}`)),
    );
}

function registerAudit(admin: Command): void {
  const audit = admin.command("audit").description("The audit log: issuance, refresh, revocation, reuse detection, sign-ins");
  audit
    .command("list")
    .description("Newest events first")
    .option("--type <type>", "only this event type, e.g. refresh_token.reuse_detected")
    .option("--subject <subject>", "only events about this user id or client id")
    .option("--limit <n>", "how many (1-1000, default 100)")
    .action((options: { type?: string; subject?: string; limit?: string }, command: Command) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(options)) if (value !== undefined) query.set(name, value);
      const suffix = query.size > 0 ? `?${query}` : "";
      return call(command, "GET", `/admin/v1/audit-events${suffix}`, undefined, (b) =>
        printTable(
          (b.audit_events as Record<string, unknown>[]).map((event) => ({ ...event, data: JSON.stringify(event.data) })),
          ["created_at", "type", "actor", "subject", "data"],
        ),
      );
    });
}

export function registerAdmin(program: Command): void {
  const admin = program
    .command("admin")
    .description("Manage clients, resources, users, keys and trusted issuers, and read the audit log, through the admin API")
    .option("--url <url>", "admin API base URL (default: $WARD_ADMIN_URL or http://127.0.0.1:9001)")
    .option("--key <key>", "admin API key (default: $WARD_ADMIN_API_KEY or <data-dir>/admin.key)")
    .option("--data-dir <dir>", "ward dev data dir to read the admin key from", ".ward");
  registerClients(admin);
  registerResources(admin);
  registerUsers(admin);
  registerKeys(admin);
  registerAudit(admin);
  registerRegistrationTokens(admin);
  registerTrustedIssuers(admin);
}
