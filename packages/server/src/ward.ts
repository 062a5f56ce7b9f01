import { randomBytes } from "node:crypto";
import type { ResolveHost } from "@ward/core";
import { WardError } from "@ward/core";
import { Hono } from "hono";
import { type Logger, pino } from "pino";
import { adminAuth } from "./admin/auth.js";
import type { AdminContext } from "./admin/context.js";
import { checkConfigSafety, decodeMasterKey, formatProblemLine, isLoopbackIssuer } from "./config/safety.js";
import type { WardConfig } from "./config/spec.js";
import { mountDeviceAuthorization } from "./endpoints/device-authorization.js";
import { mountDiscovery } from "./endpoints/discovery.js";
import { mountErrorPages } from "./endpoints/errors-page.js";
import { mountHealth } from "./endpoints/health.js";
import { mountIntrospect } from "./endpoints/introspect.js";
import { mountJwks } from "./endpoints/jwks.js";
import { mountPushedAuthorizationRequest } from "./endpoints/par.js";
import { mountRevoke } from "./endpoints/revoke.js";
import { mountToken } from "./endpoints/token.js";
import { mountUserinfo } from "./endpoints/userinfo.js";
import { limitBody } from "./http/body-limit.js";
import type { WardEnv } from "./http/context.js";
import { allowBrowserClients } from "./http/cors.js";
import { errorHandler, notFoundHandler } from "./http/errors.js";
import { forgetCachedRecordsAfterWrites } from "./http/forget-cached-records.js";
import { mountLazily } from "./http/lazy-routes.js";
import { type Listener, listen } from "./http/listen.js";
import { refuseNulInUrl } from "./http/nul-guard.js";
import { requestLog } from "./http/request-log.js";
import { responseHeaders } from "./http/response-headers.js";
import { KeyStore } from "./keys/keystore.js";
import { parseDuration } from "./keys/schedule.js";
import { ACCOUNT, ADMIN_API, AUTHORIZE, DEV_CALLBACK, DEVICE, END_SESSION, INTERACTION, REGISTRATION } from "./lazy-groups.js";
import { cleanExpired } from "./oauth/cleanup.js";
import { ClientKeyCache } from "./oauth/client-jwks.js";
import { ClientMetadataDocuments } from "./oauth/client-metadata-document.js";
import { endpointUrls, type ServerContext } from "./oauth/context.js";
import { openDatabase, type WardDatabase } from "./store/database.js";
import { GuardedWrites } from "./store/guarded-writes.js";
import { IssuedTokenLog } from "./store/issued-token-log.js";
import { createRecordCaches } from "./store/record-cache.js";
import { listResources } from "./store/resources.js";
import { DEFAULT_TENANT } from "./store/schema.js";
import { renderErrorPage } from "./ui/error-page.js";

const ADMIN_BODY_LIMIT = 256 * 1024;
/** Every public request body (forms of OAuth endpoints and pages) is small. */
const PUBLIC_BODY_LIMIT = 64 * 1024;

export interface WardOptions {
  logger?: Logger;
  now?: () => number;
  /** Replaces DNS for outbound fetches (tests: nothing may leave loopback). */
  resolveHost?: ResolveHost;
}

export interface StartedWard {
  publicUrl: string;
  publicPort: number;
  adminUrl: string | undefined;
  adminPort: number | undefined;
}

export interface Ward {
  config: WardConfig;
  publicApp: Hono<WardEnv>;
  /** Undefined when admin.api_key is not set (only possible on a loopback issuer). */
  adminApp: Hono<WardEnv> | undefined;
  keys: KeyStore;
  database: WardDatabase;
  logger: Logger;
  start(): Promise<StartedWard>;
  /** Graceful: stops accepting, drains for server.shutdown_timeout, closes the database. */
  stop(): Promise<void>;
}

/** Paths browsers navigate to: errors there are pages, not JSON. */
const PAGE_PATHS = /^\/(authorize|interaction|end_session|account|dev|device)(\/|$)/;

function baseApp(logger: Logger, errorsBaseUrl: string, metadataUrl: string, pages = false): Hono<WardEnv> {
  const app = new Hono<WardEnv>();
  app.use(responseHeaders());
  app.use(requestLog(logger));
  app.use(refuseNulInUrl(pages ? { paths: PAGE_PATHS, render: (c, error) => renderErrorPage(c, errorsBaseUrl, error) } : undefined));
  app.onError(errorHandler(errorsBaseUrl));
  app.notFound(notFoundHandler(errorsBaseUrl, metadataUrl));
  return app;
}

function resolveSessionSecret(config: WardConfig, logger: Logger): Buffer {
  if (config.session.secret === undefined) {
    logger.warn("session.secret is not set: using an ephemeral one; sign-in pages open during a restart will need a reload");
    return randomBytes(32);
  }
  return Buffer.from(config.session.secret, "utf8");
}

function resolveMasterKey(config: WardConfig, logger: Logger): Buffer {
  if (config.secrets.master_key === undefined) {
    logger.warn("secrets.master_key is not set: using an ephemeral master key; stored signing keys will not be readable after a restart");
    return randomBytes(32);
  }
  const decoded = decodeMasterKey(config.secrets.master_key);
  if ("problem" in decoded) throw new WardError("config_master_key_invalid", { received: decoded.problem });
  return decoded.key;
}

/**
 * Builds a Ward authorization server from a validated configuration: opens (and migrates) the
 * database, loads or creates signing keys and assembles the public and admin Hono apps. Refuses
 * unsafe configuration with `config_unsafe` (every problem listed in `details.problems`).
 *
 * @example
 * const ward = await createWard(loadConfig().config);
 * const { publicUrl } = await ward.start();
 */
export async function createWard(config: WardConfig, options: WardOptions = {}): Promise<Ward> {
  const problems = checkConfigSafety(config);
  if (problems.length > 0) {
    throw new WardError(
      "config_unsafe",
      { count: problems.length, problems: `\n${problems.map(formatProblemLine).join("\n")}` },
      { details: { problems: problems.map((p) => ({ code: p.code, message: p.message, fix: p.definition.fix })) } },
    );
  }
  const logger = options.logger ?? pino({ level: config.logging.level, base: { service: "ward" } });
  const issuer = config.server.issuer;
  const errorsBaseUrl = `${issuer}/errors`;
  const metadataUrl = `${issuer}/.well-known/oauth-authorization-server`;
  const masterKey = resolveMasterKey(config, logger);
  const database = await openDatabase(config.database.url, {
    poolMax: config.database.pool_max,
    preparedStatements: {
      enabled: config.database.prepared_statements,
      onProblem: (reason) => logger.warn({ reason }, "PostgreSQL prepared statements turned off"),
    },
    checkpointInBackground: {
      onProblem: (reason) =>
        logger.warn(
          { reason },
          "SQLite background checkpoints stopped; the WAL is checkpointed during commits again (slower requests now and then)",
        ),
    },
  });
  const tenantId = DEFAULT_TENANT;
  const keys = new KeyStore({
    db: database.db,
    tenantId,
    masterKey,
    algorithm: config.keys.algorithm,
    publishAheadSeconds: config.keys.publish_ahead,
    now: options.now,
    maxTokenLifetime: async () => {
      const resources = await listResources(database.db, tenantId);
      return Math.max(config.tokens.access_token_ttl, ...resources.map((r) => r.access_token_ttl));
    },
  });
  try {
    await keys.initialize();
  } catch (error) {
    await database.close();
    throw error;
  }

  let shuttingDown = false;
  const publicApp = baseApp(logger, errorsBaseUrl, metadataUrl, true);
  mountHealth(publicApp, { ping: () => database.ping(), keys, isShuttingDown: () => shuttingDown });
  const endpoints = endpointUrls(issuer);
  const guardedWrites = new GuardedWrites(database.db, database.sqlite);
  const issuedTokens = new IssuedTokenLog(database.db, tenantId, database.sqlite ? guardedWrites : undefined);
  const records = createRecordCaches(config.database.record_cache_ttl, options.now ?? Date.now);
  const serverContext: ServerContext = {
    db: database.db,
    tenantId,
    config,
    issuer,
    errorsBaseUrl,
    endpoints,
    keys,
    masterKey,
    sessionSecret: resolveSessionSecret(config, logger),
    secureCookies: !isLoopbackIssuer(config),
    clientKeys: new ClientKeyCache({ allowLoopback: isLoopbackIssuer(config), resolve: options.resolveHost }, options.now ?? Date.now),
    clientMetadataDocuments: new ClientMetadataDocuments(
      { allowLoopback: isLoopbackIssuer(config), resolve: options.resolveHost },
      options.now ?? Date.now,
    ),
    records,
    issuedTokens,
    guardedWrites,
    logger,
    now: options.now ?? Date.now,
  };
  publicApp.use(limitBody(PUBLIC_BODY_LIMIT));
  publicApp.use("/register/*", forgetCachedRecordsAfterWrites(records));
  allowBrowserClients(publicApp, ["/token", "/revoke", "/userinfo", "/jwks.json", "/par", "/register"]);
  mountDiscovery(publicApp, {
    issuer,
    config,
    endpoints,
    signingAlgorithms: () => [
      ...new Set(
        keys
          .list()
          .filter((k) => k.state !== "retired")
          .map((k) => k.alg),
      ),
    ],
  });
  mountJwks(publicApp, keys, config.keys.jwks_max_age);
  mountErrorPages(publicApp, errorsBaseUrl);
  mountLazily(publicApp, AUTHORIZE, serverContext);
  mountLazily(publicApp, INTERACTION, serverContext);
  mountToken(publicApp, serverContext);
  mountPushedAuthorizationRequest(publicApp, serverContext);
  mountUserinfo(publicApp, serverContext);
  mountRevoke(publicApp, serverContext);
  mountIntrospect(publicApp, serverContext);
  mountLazily(publicApp, END_SESSION, serverContext);
  mountLazily(publicApp, REGISTRATION, serverContext);
  mountLazily(publicApp, ACCOUNT, serverContext);
  mountDeviceAuthorization(publicApp, serverContext);
  mountLazily(publicApp, DEVICE, serverContext);
  if (config.dev.callback) {
    if (isLoopbackIssuer(config)) mountLazily(publicApp, DEV_CALLBACK, { server: serverContext, publicApp });
    else logger.warn("dev.callback is ignored: the dev callback page is served only on a loopback issuer");
  }

  let adminApp: Hono<WardEnv> | undefined;
  if (config.admin.api_key) {
    adminApp = baseApp(logger, errorsBaseUrl, metadataUrl);
    const ctx: AdminContext = {
      db: database.db,
      tenantId,
      keys,
      issuerIsLoopback: isLoopbackIssuer(config),
      defaultAccessTokenTtl: config.tokens.access_token_ttl,
    };
    mountHealth(adminApp, { ping: () => database.ping(), keys, isShuttingDown: () => shuttingDown });
    adminApp.use("/admin/*", adminAuth(config.admin.api_key));
    adminApp.use("/admin/*", limitBody(ADMIN_BODY_LIMIT));
    adminApp.use("/admin/v1/*", forgetCachedRecordsAfterWrites(records));
    mountLazily(adminApp, ADMIN_API, ctx);
  } else {
    logger.warn("admin.api_key is not set: the admin API is disabled");
  }

  const listeners: Listener[] = [];
  const timers: NodeJS.Timeout[] = [];

  const maintain = async () => {
    try {
      const interval = parseDuration(config.keys.rotation_interval);
      if (interval !== undefined && (await keys.rotateIfDue(interval))) {
        logger.info({ active: keys.signingKey().kid }, "signing key rotated on schedule");
      } else {
        await keys.load();
      }
      await cleanExpired(database.db, tenantId, Date.now());
    } catch (error) {
      logger.error({ err: error }, "key maintenance failed");
    }
  };

  return {
    config,
    publicApp,
    adminApp,
    keys,
    database,
    logger,
    async start() {
      await maintain();
      const publicListener = await listen(publicApp, config.server.host, config.server.port);
      listeners.push(publicListener);
      let adminListener: Listener | undefined;
      if (adminApp) {
        adminListener = await listen(adminApp, config.admin.host, config.admin.port);
        listeners.push(adminListener);
      }
      const timer = setInterval(maintain, 60_000);
      timer.unref();
      timers.push(timer);
      const hostForUrl = (host: string) => (host.includes(":") ? `[${host}]` : host);
      return {
        publicUrl: `http://${hostForUrl(config.server.host)}:${publicListener.port}`,
        publicPort: publicListener.port,
        adminUrl: adminListener ? `http://${hostForUrl(config.admin.host)}:${adminListener.port}` : undefined,
        adminPort: adminListener?.port,
      };
    },
    async stop() {
      shuttingDown = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(listeners.map((listener) => listener.close(config.server.shutdown_timeout * 1000)));
      await issuedTokens.drain();
      await guardedWrites.drain();
      await database.close();
    },
  };
}
