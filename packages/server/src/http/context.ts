import type { Logger } from "pino";

/** Per-request values every Ward handler can read with `c.get(…)`. */
export interface WardVariables {
  requestId: string;
  log: Logger;
  /** The headers of this request's response, lower-case names: set with `setHeader` (response-headers.ts). */
  responseHeaders: Record<string, string>;
  /** The response `jsonResponse` built from that record (it needs nothing added). */
  responseFromRecord: Response;
}

export type WardEnv = { Variables: WardVariables };
