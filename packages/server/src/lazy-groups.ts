import type { Hono } from "hono";
import type { AdminContext } from "./admin/context.js";
import type { WardEnv } from "./http/context.js";
import type { LazyGroup } from "./http/lazy-routes.js";
import type { ServerContext } from "./oauth/context.js";

/*
 * The route groups `createWard` mounts lazily (http/lazy-routes.ts): browser pages, dynamic client
 * registration and the admin API. Each lists the routes its module mounts, in order; loading a
 * group whose module mounts anything else fails (and test/lazy-groups.test.ts says so first).
 */

const GET_POST_ALL = (path: string) =>
  [
    ["GET", path],
    ["POST", path],
    ["ALL", path],
  ] as const;

export const AUTHORIZE: LazyGroup<ServerContext> = {
  routes: GET_POST_ALL("/authorize"),
  load: async () => (await import("./endpoints/authorize.js")).mountAuthorize,
};

export const INTERACTION: LazyGroup<ServerContext> = {
  routes: [
    ["GET", "/interaction/:id"],
    ["POST", "/interaction/:id/login"],
    ["POST", "/interaction/:id/two-factor"],
    ["POST", "/interaction/:id/enrol"],
    ["POST", "/interaction/:id/consent"],
  ],
  load: async () => (await import("./endpoints/interaction.js")).mountInteraction,
};

export const END_SESSION: LazyGroup<ServerContext> = {
  routes: GET_POST_ALL("/end_session"),
  load: async () => (await import("./endpoints/end-session.js")).mountEndSession,
};

export const REGISTRATION: LazyGroup<ServerContext> = {
  routes: [
    ["POST", "/register"],
    ["ALL", "/register"],
    ["GET", "/register/:client_id"],
    ["PUT", "/register/:client_id"],
    ["DELETE", "/register/:client_id"],
    ["ALL", "/register/:client_id"],
  ],
  load: async () => (await import("./endpoints/register.js")).mountRegistration,
};

export const ACCOUNT: LazyGroup<ServerContext> = {
  routes: [
    ["GET", "/account"],
    ["POST", "/account/password"],
    ["POST", "/account/two-factor/start"],
    ["POST", "/account/two-factor"],
    ["POST", "/account/two-factor/reset"],
    ["POST", "/account/apps/revoke"],
    ["POST", "/account/logout"],
    ["POST", "/account/logout-everywhere"],
  ],
  load: async () => (await import("./endpoints/account.js")).mountAccount,
};

export const DEVICE: LazyGroup<ServerContext> = {
  routes: GET_POST_ALL("/device"),
  load: async () => (await import("./endpoints/device.js")).mountDevice,
};

/** The dev callback redeems its code at the public app's /token, so it is given that app too. */
export const DEV_CALLBACK: LazyGroup<{ server: ServerContext; publicApp: Hono<WardEnv> }> = {
  routes: [
    ["GET", "/dev/start"],
    ["GET", "/dev/callback"],
  ],
  load: async () => {
    const { mountDevCallback } = await import("./endpoints/dev-callback.js");
    return (app, { server, publicApp }) => mountDevCallback(app, server, publicApp);
  },
};

const RESOURCE = (path: string, id: string) =>
  [
    ["POST", path],
    ["GET", path],
    ["GET", `${path}/:${id}`],
  ] as const;

export const ADMIN_API: LazyGroup<AdminContext> = {
  routes: [
    ...RESOURCE("/admin/v1/clients", "client_id"),
    ["PATCH", "/admin/v1/clients/:client_id"],
    ["DELETE", "/admin/v1/clients/:client_id"],
    ["POST", "/admin/v1/clients/:client_id/rotate-secret"],
    ...RESOURCE("/admin/v1/resources", "id"),
    ["PATCH", "/admin/v1/resources/:id"],
    ["DELETE", "/admin/v1/resources/:id"],
    ...RESOURCE("/admin/v1/users", "id"),
    ["PATCH", "/admin/v1/users/:id"],
    ["DELETE", "/admin/v1/users/:id"],
    ["GET", "/admin/v1/keys"],
    ["POST", "/admin/v1/keys/rotate"],
    ["GET", "/admin/v1/audit-events"],
    ["POST", "/admin/v1/registration-tokens"],
    ["GET", "/admin/v1/registration-tokens"],
    ["DELETE", "/admin/v1/registration-tokens/:id"],
    ...RESOURCE("/admin/v1/trusted-issuers", "id"),
    ["DELETE", "/admin/v1/trusted-issuers/:id"],
  ],
  load: async () => {
    const [clients, resources, users, keys, audit, registrationTokens, trustedIssuers] = await Promise.all([
      import("./admin/clients.js"),
      import("./admin/resources.js"),
      import("./admin/users.js"),
      import("./admin/keys.js"),
      import("./admin/audit.js"),
      import("./admin/registration-tokens.js"),
      import("./admin/trusted-issuers.js"),
    ]);
    return (app, ctx) => {
      clients.mountClientRoutes(app, ctx);
      resources.mountResourceRoutes(app, ctx);
      users.mountUserRoutes(app, ctx);
      keys.mountKeyRoutes(app, ctx);
      audit.mountAuditRoutes(app, ctx);
      registrationTokens.mountRegistrationTokenRoutes(app, ctx);
      trustedIssuers.mountTrustedIssuerRoutes(app, ctx);
    };
  },
};
