// Paired A/B of two Ward builds on refresh-token rotation or code exchange, on PostgreSQL (default)
// or SQLite, like ab.mjs for client_credentials on SQLite: both servers run at once, each on a fresh
// database of its own, and take turns under the same closed-loop load in short slices (A B B A …).
// refresh: each slice starts 16 fresh refresh chains (codes minted through the checkout's own bench
// helpers, then redeemed; untimed). code: each slice redeems CODES_PER_SLICE codes minted before
// it (untimed), so a slice is bounded by count, not by `seconds`. Prints each build's CPU time per
// request, the whole machine's (which counts PostgreSQL's backends too) and the slices' req/s.
//
//   node bench/ab-refresh.mjs <checkout A> <checkout B> [slices=8] [seconds=3] [postgres|sqlite] [refresh|code]
//
// PostgreSQL as `npm run bench` uses it (BENCH_POSTGRES_URL). Each checkout must be built and
// run its own @ward packages (checked). Nothing leaves loopback.
import { assertOwnPackages } from "./lib/checkout.mjs";
import { REDIRECT_URI } from "./lib/fixtures.mjs";
import { peak } from "./lib/load.mjs";
import { cpuSeconds, machineBusySeconds, stopChild } from "./lib/process.mjs";

const [dirA, dirB, slicesArg = "8", secondsArg = "3", database = "postgres", scenario = "refresh"] = process.argv.slice(2);
if (!dirA || !dirB || !["postgres", "sqlite"].includes(database) || !["refresh", "code"].includes(scenario)) {
  console.error("usage: node bench/ab-refresh.mjs <checkout A> <checkout B> [slices] [seconds] [postgres|sqlite] [refresh|code]");
  process.exit(2);
}
const CONNECTIONS = 16;
const CODES_PER_SLICE = 3000;

const servers = [];
try {
  for (const [name, dir] of [
    ["A", dirA],
    ["B", dirB],
  ]) {
    assertOwnPackages(dir);
    const { startWard } = await import(`${dir}/bench/contenders/ward.mjs`);
    const scenarios = await import(`${dir}/bench/scenarios.mjs`);
    servers.push({ name, dir, contender: await startWard(database), scenarios, cpu: 0, machine: 0, requests: 0, rps: [] });
  }

  /** The slice's load: fresh refresh chains, or codes to redeem once each (then `amount` bounds the run). */
  const load = async ({ contender, scenarios }, seconds) => {
    if (scenario === "code") {
      const codes = await contender.mintCodes(seconds === 1 ? CODES_PER_SLICE / 4 : CODES_PER_SLICE);
      return { work: scenarios.authorizationCode(contender, codes), amount: codes.length };
    }
    const chains = [];
    for (const { code, verifier } of await contender.mintCodes(CONNECTIONS)) {
      const redeemed = await scenarios.tokenRequest(contender, {
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT_URI,
      });
      chains.push(redeemed.refresh_token);
    }
    return { work: scenarios.refreshToken(contender, chains), amount: undefined };
  };

  const slice = async (server, seconds) => {
    const { contender } = server;
    const { work, amount } = await load(server, seconds);
    const before = cpuSeconds(contender.pid);
    const machineBefore = machineBusySeconds();
    const run = await peak(contender.url, work, { connections: CONNECTIONS, duration: seconds, amount });
    if (run.errors > 0) throw new Error(`${server.name}: ${run.errors} errors`);
    server.cpu += cpuSeconds(contender.pid) - before;
    server.machine += machineBusySeconds() - machineBefore;
    server.requests += run.requests;
    server.rps.push(run.rps);
  };

  for (const server of servers) await slice(server, 1); // warmup
  for (const server of servers) Object.assign(server, { cpu: 0, machine: 0, requests: 0, rps: [] });
  for (let i = 0; i < Number(slicesArg); i++) {
    for (const server of i % 2 === 0 ? servers : [...servers].reverse()) await slice(server, Number(secondsArg));
  }
  for (const s of servers) {
    console.log(
      `${s.name} ${s.dir}: ${((s.cpu * 1000) / s.requests).toFixed(2)} CPU ms/req (machine: ${((s.machine * 1000) / s.requests).toFixed(2)}) over ${s.requests} requests; req/s per slice ${s.rps.join(" ")}`,
    );
  }
  const [a, b] = servers;
  console.log(
    `B / A CPU per request: ${(b.cpu / b.requests / (a.cpu / a.requests)).toFixed(2)} (machine: ${(b.machine / b.requests / (a.machine / a.requests)).toFixed(2)}); B / A requests: ${(b.requests / a.requests).toFixed(2)}`,
  );
} finally {
  for (const server of servers) {
    await stopChild(server.contender.child);
    await server.contender.cleanup();
  }
}
