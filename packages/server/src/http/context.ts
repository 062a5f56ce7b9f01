import type { Logger } from "pino";

/** Per-request values every Ward handler can read with `c.get(…)`. */
export interface WardVariables {
  requestId: string;
  log: Logger;
}

export type WardEnv = { Variables: WardVariables };
