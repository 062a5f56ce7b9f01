import { type ErrorCode, isWardError } from "@ward/core";
import type { Command } from "commander";
import { EXIT, err, type OutputOptions, printErrorBody, printJson } from "../../output.js";
import { printable } from "../terminal-text.js";

const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = {
  agent_provider_unknown: EXIT.usage,
  agent_provider_invalid: EXIT.usage,
  agent_secret_in_argv: EXIT.usage,
  agent_flow_unsupported: EXIT.usage,
  agent_proxy_api_hosts_invalid: EXIT.usage,
  agent_client_metadata_url_invalid: EXIT.usage,
  agent_client_rejected: EXIT.rejected,
  agent_token_request_failed: EXIT.rejected,
  agent_token_response_invalid: EXIT.rejected,
  agent_authorization_denied: EXIT.rejected,
  agent_scope_missing: EXIT.rejected,
  agent_refresh_failed: EXIT.rejected,
  agent_oauth_state_mismatch: EXIT.rejected,
  agent_oauth_callback_stale: EXIT.rejected,
  agent_discovery_failed: EXIT.unreachable,
  agent_refresh_unreachable: EXIT.unreachable,
  agent_login_timeout: EXIT.timeout,
  agent_device_login_expired: EXIT.timeout,
  agent_bridge_not_answered: EXIT.timeout,
  agent_not_logged_in: EXIT.notLoggedIn,
};

/** The global --json / --quiet / --no-color of the command being run. */
export function globalOptions(command: Command): OutputOptions {
  return command.optsWithGlobals() as OutputOptions;
}

/**
 * Wraps an agent command's action: a WardError is printed with its fix (or as JSON under --json)
 * and sets the documented exit code; anything else is exit 1 with its message, never a stack trace.
 */
export function agentAction<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    try {
      await run(...args);
    } catch (error) {
      const options = globalOptions(command);
      if (isWardError(error)) {
        // The message may quote a provider's error_description or a callback's query: never raw to the terminal.
        const message = printable(error.message);
        if (options.json) printJson({ error: { code: error.code, message, fix: error.definition.fix } });
        else printErrorBody({ code: error.code, error_description: message });
        process.exitCode = EXIT_BY_CODE[error.code] ?? EXIT.failure;
        return;
      }
      err(`✗ ${printable(error instanceof Error ? error.message : String(error))}`);
      process.exitCode = EXIT.failure;
    }
  };
}
