export { configurationMarkdown } from "./docs.js";
export { describeReceived, type LoadOptions, type LoadResult, loadConfig } from "./load.js";
export { redactConfig, redactUrl } from "./redact.js";
export { checkConfigSafety, decodeMasterKey, formatProblemLine, isLoopbackIssuer, weakSecretHint } from "./safety.js";
export { allKeys, configSpec, envName, type WardConfig } from "./spec.js";
