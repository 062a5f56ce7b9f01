import { defineErrors } from "../define.js";

export const storageErrors = defineErrors({
  database_url_invalid: {
    area: "storage",
    status: 500,
    oauthError: "configuration_error",
    title: "database.url is not supported",
    description: "database.url is {received}; expected sqlite:<path>, sqlite::memory: or postgres://user@host:port/database.",
    params: ["received"],
    cause:
      "Ward stores data in embedded SQLite (the default) or PostgreSQL; other URLs are not understood. A postgres:// URL must also be a valid URL: a user and password need a host after the @.",
    fix: "Set WARD_DATABASE_URL to a sqlite: path or a postgres:// URL. For PostgreSQL's Unix socket, name the socket folder and the credentials in the query: postgres:///db?host=/var/run/postgresql&user=ward&password=….",
  },
  database_unreachable: {
    area: "storage",
    status: 503,
    oauthError: "temporarily_unavailable",
    title: "Database unreachable",
    description: "The database at {target} cannot be reached: {reason}.",
    params: ["target", "reason"],
    cause: "PostgreSQL is down, the host or port is wrong, credentials are refused, or the SQLite file's folder is not writable.",
    fix: "Check that the database runs and accepts this URL (`psql <url>` for PostgreSQL); for SQLite, check the data directory's permissions.",
  },
  database_migration_failed: {
    area: "storage",
    status: 500,
    oauthError: "server_error",
    title: "Database migration failed",
    description: "Migration {migration} failed: {reason}. No later migration ran.",
    params: ["migration", "reason"],
    cause: "The database user lacks rights to create tables, or the schema was changed by hand.",
    fix: "Give the database user rights to create tables in its schema, restore hand-made changes, then restart.",
  },
  database_newer_than_ward: {
    area: "storage",
    status: 500,
    oauthError: "configuration_error",
    title: "Database was migrated by a newer Ward",
    description: "The database has migration {migration}, which this Ward version ({version}) does not know.",
    params: ["migration", "version"],
    cause: "A newer Ward ran against this database; this older version cannot safely use its schema.",
    fix: "Run the newer Ward version, or restore a backup taken before the upgrade.",
  },
});
