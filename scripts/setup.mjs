#!/usr/bin/env node
// Makes a fresh clone runnable: installs dependencies when the lockfile changed since the last
// install, then builds every package (tsc -b is incremental, so this is quick when up to date).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quiet = process.argv.includes("--quiet");
const marker = join(root, "node_modules", ".ward-install-stamp");
const lock = join(root, "package-lock.json");

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit" });
  if (result.status !== 0) {
    console.error(`ward setup: \`${command} ${args.join(" ")}\` failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}

const lockHash = createHash("sha256").update(readFileSync(lock)).digest("hex");
const installed = existsSync(marker) ? readFileSync(marker, "utf8").trim() : "";
if (installed !== lockHash) {
  if (!quiet) console.log("ward setup: installing dependencies (npm ci)…");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
  writeFileSync(marker, `${lockHash}\n`);
}
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b", "packages/cli", "packages/sdk"]);
