import { catalog } from "./catalog.js";
import type { ErrorDefinition } from "./types.js";

export type ErrorCode = keyof typeof catalog;
export type ErrorParams = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Looks a code up in the catalog; undefined for an unknown code. */
export function findError(code: string): ErrorDefinition | undefined {
  return Object.hasOwn(catalog, code) ? catalog[code as ErrorCode] : undefined;
}

/** Every catalog entry, in catalog order. */
export function listErrors(): ErrorDefinition[] {
  return Object.values(catalog);
}

function show(value: ErrorParams[string]): string {
  if (value === undefined) return "(none)";
  if (value === null) return "null";
  return String(value);
}

/** Fills a description template; placeholders without a param are shown as `(none)`. */
export function formatDescription(definition: ErrorDefinition, params: ErrorParams = {}): string {
  return definition.description.replace(/\{([a-z_][a-z0-9_]*)\}/gi, (_, name: string) => show(params[name]));
}

/**
 * The one error type Ward raises for anything a caller did wrong or must fix. It carries the
 * catalog code and the values that make its description precise; rendering happens at the edge.
 *
 * @example
 * throw new WardError("client_not_found", { client_id: "abc" });
 */
export class WardError extends Error {
  readonly code: ErrorCode;
  readonly definition: ErrorDefinition;
  readonly params: ErrorParams;
  /** Extra machine-readable details (e.g. the list of invalid fields of a body). */
  readonly details: unknown;

  constructor(code: ErrorCode, params: ErrorParams = {}, options: { details?: unknown; cause?: unknown } = {}) {
    const definition = catalog[code];
    super(formatDescription(definition, params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WardError";
    this.code = code;
    this.definition = definition;
    this.params = params;
    this.details = options.details;
  }

  get status(): number {
    return this.definition.status;
  }

  get oauthError(): string {
    return this.definition.oauthError;
  }
}

export function isWardError(value: unknown): value is WardError {
  return value instanceof WardError;
}
