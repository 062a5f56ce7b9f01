import { WardError } from "@ward/core";
import type { Command } from "commander";
import { printJson } from "../../output.js";
import { CLIENT_METADATA_ENV, clientMetadataDocument, clientMetadataUrlProblem } from "../oauth/client-metadata.js";
import { agentPort, redirectUri } from "../paths.js";
import { agentAction } from "./action.js";

export function registerClientMetadata(program: Command): void {
  program
    .command("client-metadata <url>")
    .description(
      `print the OAuth Client ID Metadata Document to host at <url> (https, with a path); then log in with --client-metadata-url <url> or ${CLIENT_METADATA_ENV}`,
    )
    .action(
      agentAction(async (url: string) => {
        const reason = clientMetadataUrlProblem(url);
        if (reason) throw new WardError("agent_client_metadata_url_invalid", { source: "the <url> argument", received: url, reason });
        printJson(clientMetadataDocument(url, redirectUri(agentPort())));
      }),
    );
}
