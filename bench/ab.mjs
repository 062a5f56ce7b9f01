// Paired A/B of two Ward builds on client_credentials, for attributing one change on a shared
// machine: both `ward server`s run at once (SQLite, same config) and take turns under the same
// closed-loop load in short slices (A B B A …), so background load hits both alike. Prints each
// build's CPU time per request (sum over its slices) and the slice-by-slice ratio's median.
//
//   node bench/ab.mjs <checkout A> <checkout B> [slices=10] [seconds=2]
//
// BENCH_AB_PIN=1 pins both servers (every thread) to CPU 1 and this process, the load generator,
// to CPU 0 (`taskset`): slices then vary far less than when the generator and servers share cores.
//
// Each checkout must be built (packages/cli/dist) and run its own @ward packages (checked: a
// worktree whose node_modules links to another checkout's would run that checkout's server).
// Nothing leaves loopback.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { assertOwnPackages } from "./lib/checkout.mjs";
import { basicAuthorization, CLIENT_ID, RESOURCE, RESOURCE_SCOPE } from "./lib/fixtures.mjs";
import { peak } from "./lib/load.mjs";
import { cpuSeconds, freePort, startChild, stopChild } from "./lib/process.mjs";

const [dirA, dirB, slicesArg = "10", secondsArg = "2"] = process.argv.slice(2);
if (!dirA || !dirB) {
  console.error("usage: node bench/ab.mjs <checkout A> <checkout B> [slices] [seconds]");
  process.exit(2);
}

async function start(name, dir, tmp) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const adminKey = randomBytes(32).toString("hex");
  const config = join(tmp, `${name}.yaml`);
  writeFileSync(
    config,
    `server:\n  issuer: http://127.0.0.1:${port}\n  port: ${port}\nadmin:\n  port: ${adminPort}\n  api_key: ${adminKey}\n` +
      `database:\n  url: sqlite:${join(tmp, `${name}.db`)}\nsession:\n  secret: ${randomBytes(32).toString("hex")}\n` +
      `secrets:\n  master_key: ${randomBytes(32).toString("hex")}\ngrants:\n  client_credentials: true\nlogging:\n  level: warn\n`,
  );
  const url = `http://127.0.0.1:${port}`;
  const answers = async (address) => (await fetch(address).catch(() => undefined))?.status === 200;
  const probe = async () => ((await answers(`${url}/ready`)) && (await answers(`http://127.0.0.1:${adminPort}/health`)) ? true : undefined);
  const { child } = await startChild(name, [join(resolve(dir), "packages/cli/dist/bin/ward.js"), "server", "--config", config], { probe });
  const admin = (path, body) =>
    fetch(`http://127.0.0.1:${adminPort}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then((r) => r.json());
  await admin("/admin/v1/resources", { uri: RESOURCE, scopes: [{ name: RESOURCE_SCOPE, description: "Read" }] });
  const { client_secret } = await admin("/admin/v1/clients", {
    client_id: CLIENT_ID,
    grant_types: ["client_credentials"],
    token_endpoint_auth_method: "client_secret_basic",
    scope: RESOURCE_SCOPE,
  });
  const scenario = {
    path: "/token",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuthorization(CLIENT_ID, client_secret) },
    body: () => `grant_type=client_credentials&scope=${RESOURCE_SCOPE}&resource=${encodeURIComponent(RESOURCE)}`,
    onResponse: () => {},
  };
  return { name, child, url, scenario, cpu: 0, requests: 0, perSlice: [] };
}

async function slice(server, seconds) {
  const before = cpuSeconds(server.child.pid);
  const run = await peak(server.url, server.scenario, { connections: 16, duration: seconds });
  if (run.errors > 0) throw new Error(`${server.name}: ${run.errors} errors`);
  const cpu = cpuSeconds(server.child.pid) - before;
  server.cpu += cpu;
  server.requests += run.requests;
  server.perSlice.push((cpu * 1000) / run.requests);
}

for (const dir of [dirA, dirB]) assertOwnPackages(dir);
const tmp = mkdtempSync(join(tmpdir(), "ward-ab-"));
const servers = [await start("A", dirA, tmp), await start("B", dirB, tmp)];
if (process.env.BENCH_AB_PIN === "1") {
  for (const server of servers) execFileSync("taskset", ["-a", "-pc", "1", String(server.child.pid)], { stdio: "ignore" });
  execFileSync("taskset", ["-a", "-pc", "0", String(process.pid)], { stdio: "ignore" });
}
try {
  for (const server of servers) await slice(server, 1); // warmup
  for (const server of servers) Object.assign(server, { cpu: 0, requests: 0, perSlice: [] });
  for (let i = 0; i < Number(slicesArg); i++) {
    const order = i % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) await slice(server, Number(secondsArg));
  }
  const [a, b] = servers;
  const ratios = a.perSlice.map((ms, i) => b.perSlice[i] / ms).sort((x, y) => x - y);
  for (const s of servers)
    console.log(`${s.name} ${s === a ? dirA : dirB}: ${((s.cpu * 1000) / s.requests).toFixed(2)} CPU ms/req over ${s.requests} requests`);
  console.log(
    `B / A CPU per request: ${(b.cpu / b.requests / (a.cpu / a.requests)).toFixed(2)} (median of slices ${ratios[Math.floor(ratios.length / 2)].toFixed(2)})`,
  );
} finally {
  for (const server of servers) await stopChild(server.child);
  rmSync(tmp, { recursive: true, force: true });
}
