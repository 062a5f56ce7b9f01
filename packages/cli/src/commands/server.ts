import { loadConfig } from "@ward/server";
import type { Command } from "commander";
import { startWard } from "./run-server.js";

export function registerServer(program: Command): void {
  program
    .command("server")
    .description("Run the authorization server with production defaults (config file + WARD_* environment)")
    .option("-c, --config <file>", "YAML configuration file (default: $WARD_CONFIG)")
    .action(async (options: { config?: string }) => {
      const loaded = loadConfig({ file: options.config ?? process.env.WARD_CONFIG });
      await startWard(loaded, (ward, started) => {
        ward.logger.info(
          { issuer: ward.config.server.issuer, public: started.publicUrl, admin: started.adminUrl ?? "disabled" },
          "ward server listening",
        );
      });
    });
}
