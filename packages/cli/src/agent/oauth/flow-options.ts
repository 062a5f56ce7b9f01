import type { StartWaiting } from "../progress.js";
import type { ClientRegistration } from "../store/model.js";
import type { Endpoints } from "./discovery.js";

/** What every login flow is given: the provider, its endpoints and client, what to ask for, how long to wait. */
export interface LoginFlowOptions {
  provider: string;
  endpoints: Endpoints;
  client: ClientRegistration;
  scopes: string[];
  resource?: string;
  timeoutMs: number;
  /** Progress lines for the user (stderr). */
  say: (line: string) => void;
  /** A spinner line with the time left while waiting on the browser or the device (terminals only). */
  waiting?: StartWaiting;
}
