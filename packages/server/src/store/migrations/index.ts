import type { Migration } from "kysely";
import * as initial from "./0001_initial.js";

/**
 * Every migration, in order. In code (not scanned from disk) so they work from dist/ and bundles.
 * Add a migration: a new file `NNNN_name.ts` with up/down, listed here; never edit a shipped one.
 */
export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
};
