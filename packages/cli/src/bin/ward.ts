#!/usr/bin/env node
import { main } from "../main.js";

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`ward: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
