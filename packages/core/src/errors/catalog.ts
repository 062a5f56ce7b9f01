import { adminErrors } from "./catalog/admin.js";
import { agentErrors } from "./catalog/agent.js";
import { authorizeErrors } from "./catalog/authorize.js";
import { clientErrors } from "./catalog/client.js";
import { configErrors } from "./catalog/config.js";
import { deviceErrors } from "./catalog/device.js";
import { dpopErrors } from "./catalog/dpop.js";
import { httpErrors } from "./catalog/http.js";
import { jwtBearerErrors } from "./catalog/jwt-bearer.js";
import { keyErrors } from "./catalog/keys.js";
import { loginErrors } from "./catalog/login.js";
import { logoutErrors } from "./catalog/logout.js";
import { refreshErrors } from "./catalog/refresh.js";
import { registrationErrors } from "./catalog/registration.js";
import { resourceErrors } from "./catalog/resource.js";
import { storageErrors } from "./catalog/storage.js";
import { tokenErrors } from "./catalog/token.js";
import { tokenExchangeErrors } from "./catalog/token-exchange.js";

/**
 * Every Ward error, by code. Endpoints, the SDK, the CLI, `ward explain` and
 * docs/troubleshooting.md all read this one object.
 */
export const catalog = {
  ...authorizeErrors,
  ...tokenErrors,
  ...clientErrors,
  ...refreshErrors,
  ...deviceErrors,
  ...tokenExchangeErrors,
  ...jwtBearerErrors,
  ...registrationErrors,
  ...loginErrors,
  ...logoutErrors,
  ...dpopErrors,
  ...resourceErrors,
  ...httpErrors,
  ...configErrors,
  ...storageErrors,
  ...keyErrors,
  ...adminErrors,
  ...agentErrors,
};
