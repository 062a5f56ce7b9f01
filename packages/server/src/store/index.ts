/** Ward's storage layer: one Kysely schema on SQLite and PostgreSQL. See SCHEMA.md. */
export * from "./audit.js";
export * from "./clients.js";
export * from "./database.js";
export { isUniqueViolation } from "./errors.js";
export * from "./migrate.js";
export { migrations } from "./migrations/index.js";
export type { Page } from "./page.js";
export * from "./resources.js";
export * from "./schema.js";
export * from "./settings.js";
export * from "./signing-keys.js";
export * from "./transaction.js";
export * from "./users.js";
