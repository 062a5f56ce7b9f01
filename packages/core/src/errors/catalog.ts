import { adminErrors } from "./catalog/admin.js";
import { configErrors } from "./catalog/config.js";
import { httpErrors } from "./catalog/http.js";
import { keyErrors } from "./catalog/keys.js";
import { storageErrors } from "./catalog/storage.js";

/**
 * Every Ward error, by code. Endpoints, the SDK, the CLI, `ward explain` and
 * docs/troubleshooting.md all read this one object.
 */
export const catalog = {
  ...httpErrors,
  ...configErrors,
  ...storageErrors,
  ...keyErrors,
  ...adminErrors,
};
