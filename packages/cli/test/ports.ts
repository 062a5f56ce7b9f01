export { freeLoopbackPort as freePort } from "@ward/server";
