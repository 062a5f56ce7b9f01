// For the paired A/B scripts: a checkout's `ward` must run that checkout's own @ward packages.
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

/**
 * Throws unless `@ward/server` and `@ward/core`, resolved from the checkout's CLI, are the
 * checkout's own packages. A worktree whose node_modules is a symlink to another checkout's would
 * otherwise run the other checkout's server code, and the A/B would compare a build with itself.
 */
export function assertOwnPackages(dir) {
  const root = realpathSync(resolve(dir));
  const fromCli = createRequire(join(root, "packages/cli/package.json"));
  for (const name of ["@ward/server", "@ward/core"]) {
    const found = realpathSync(fromCli.resolve(name));
    if (!found.startsWith(`${root}/`)) {
      throw new Error(
        `${dir}: ${name} resolves to ${found}, outside this checkout. Give the worktree a node_modules of its own ` +
          "(npm ci there, or a directory of links to the main checkout's entries with node_modules/@ward/* pointing at ../../packages/*).",
      );
    }
  }
}
