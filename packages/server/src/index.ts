export * from "./config/index.js";
export { DEV_DEMO_CLIENT_ID } from "./endpoints/dev-demo-client.js";
export { freeLoopbackPort } from "./http/free-port.js";
export { KeyStore, type KeySummary } from "./keys/keystore.js";
export { createWard, type StartedWard, type Ward, type WardOptions } from "./ward.js";
