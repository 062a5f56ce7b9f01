// Loaded into every Node process `ward run --proxy` starts (NODE_OPTIONS=--import): Node's built-in fetch
// ignores HTTPS_PROXY, so it is routed through undici's EnvHttpProxyAgent, which reads HTTPS_PROXY,
// HTTP_PROXY and NO_PROXY like curl does. node:https clients are not covered (see docs/cli.md).
import { EnvHttpProxyAgent, setGlobalDispatcher } from "undici";

setGlobalDispatcher(new EnvHttpProxyAgent());
