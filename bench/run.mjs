// `npm run bench`: every contender in its own child process on loopback, the same autocannon load
// (connections, duration, warmup) for each; per scenario the peak runs are split into rounds in
// which the contenders take turns, so that the machine's drift hits all alike. Prints a table with
// the ratios and targets of issue 7 and writes bench/results/latest.json. Exits 1 when a scenario
// failed (non-2xx answers or wrong tokens) so that a 4xx storm never looks fast.
//
// Options (flags or env): --duration N (BENCH_DURATION, s, default 10), --warmup N (BENCH_WARMUP,
// default 2), --connections N (BENCH_CONNECTIONS, default 16), --rounds N (BENCH_ROUNDS, default
// 5), --only a,b (scenarios and/or contenders, e.g. --only client_credentials,ward-sqlite),
// BENCH_POSTGRES_URL.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startLimit, startOidcProvider } from "./contenders/peers.mjs";
import { measureTimeToReady, POSTGRES_URL, startWard } from "./contenders/ward.mjs";
import { REDIRECT_URI, RESOURCE, RESOURCE_SCOPE } from "./lib/fixtures.mjs";
import { fixedRate, peak } from "./lib/load.mjs";
import { cpuSeconds, currentRssMb, damonMonitors, peakRssMb, restartPeakRss, stopChild } from "./lib/process.mjs";
import { printReport, ratiosAndTargets } from "./report.mjs";
import { authorizationCode, clientCredentials, introspection, refreshToken, tokenRequest } from "./scenarios.mjs";
import { measureVerify } from "./verify.mjs";

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string" },
    warmup: { type: "string" },
    connections: { type: "string" },
    rounds: { type: "string" },
    only: { type: "string" },
  },
});
const setting = (flag, env, fallback) => Number(flags[flag] ?? process.env[env] ?? fallback);
const DURATION = setting("duration", "BENCH_DURATION", 10);
const WARMUP = setting("warmup", "BENCH_WARMUP", 2);
const CONNECTIONS = setting("connections", "BENCH_CONNECTIONS", 16);
/** The fixed-rate run at half of Ward's peak lasts half as long as a peak run (enough samples for a p99). */
const HALF_RATE_DURATION = Math.max(2, DURATION / 2);
/** Seconds at that rate before the measured part (not counted): the generator's own start-up, see lib/load.mjs. */
const HALF_RATE_WARMUP = 1;
/** BENCH_OUTPUT_DIR: the servers' logs (lib/process.mjs) and each half-peak run's per-request timeline. */
const OUTPUT_DIR = process.env.BENCH_OUTPUT_DIR;
if (OUTPUT_DIR) mkdirSync(OUTPUT_DIR, { recursive: true });
/** Rounds each peak run is split into, the contenders taking turns (see runScenario). */
const ROUNDS = setting("rounds", "BENCH_ROUNDS", 5);
const only = flags.only ? new Set(flags.only.split(",")) : undefined;
const wanted = (name) => !only || only.has(name) || ![...only].some((o) => KNOWN.has(o) && KIND[o] === KIND[name]);

const CONTENDERS = {
  limit: startLimit,
  "oidc-provider": () => startOidcProvider("memory"),
  "oidc-provider-sqlite": () => startOidcProvider("sqlite"),
  "ward-sqlite": () => startWard("sqlite"),
  "ward-postgres": () => startWard("postgres"),
};
/**
 * Which contenders run which scenario: the limit signs the user grants' tokens too, storing and
 * checking nothing (servers/limit.mjs): the ceiling for any server signing them. oidc-provider
 * refuses to introspect JWT access tokens (unsupported_token_type), so introspection compares Ward
 * with the limit only.
 */
const SCENARIOS = {
  client_credentials: ["limit", "oidc-provider", "oidc-provider-sqlite", "ward-sqlite", "ward-postgres"],
  refresh_token: ["limit", "oidc-provider", "oidc-provider-sqlite", "ward-sqlite", "ward-postgres"],
  authorization_code: ["limit", "oidc-provider", "oidc-provider-sqlite", "ward-sqlite", "ward-postgres"],
  introspection: ["limit", "ward-sqlite", "ward-postgres"],
};
const KIND = Object.fromEntries([
  ...Object.keys(CONTENDERS).map((c) => [c, "contender"]),
  ...[...Object.keys(SCENARIOS), "verify"].map((s) => [s, "scenario"]),
]);
const KNOWN = new Set(Object.keys(KIND));
for (const name of only ?? []) if (!KNOWN.has(name)) throw new Error(`--only: unknown ${name}; known: ${[...KNOWN].join(", ")}`);

const log = (line) => process.stderr.write(`${line}\n`);

async function postgresReachable() {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    log(`PostgreSQL at ${POSTGRES_URL} is not reachable (${error.message}): ward-postgres is skipped.`);
    return false;
  }
}

/** Untimed fixtures a scenario needs on one contender, then the scenario object itself. */
async function prepare(name, contender, scenario, needs) {
  switch (scenario) {
    case "client_credentials":
      return clientCredentials(contender);
    case "introspection": {
      const { access_token } = await tokenRequest(contender, {
        grant_type: "client_credentials",
        scope: RESOURCE_SCOPE,
        resource: RESOURCE,
      });
      return introspection(contender, access_token);
    }
    case "refresh_token": {
      // Fresh chains for every run: a run that stops drops the answers in flight, whose rotated
      // tokens the next run would otherwise present again (reuse, which revokes the family).
      const chains = [];
      for (const { code, verifier } of await contender.mintCodes(CONNECTIONS))
        chains.push((await redeem(contender, code, verifier)).refresh_token);
      return refreshToken(contender, chains);
    }
    case "authorization_code":
      return authorizationCode(contender, await contender.mintCodes(needs));
  }
  throw new Error(`${name}: unknown scenario ${scenario}`);
}

const redeem = (contender, code, verifier) =>
  tokenRequest(contender, {
    grant_type: "authorization_code",
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT_URI,
  });

/**
 * How many codes a code-exchange run of `seconds` needs: the rate it is expected to reach (the
 * contender's refresh rate, similar work, else the warmup's own rate) with 20 % headroom. The
 * warmup itself, with no estimate yet, redeems a fixed 20 codes per connection.
 */
function codesFor(rps, seconds) {
  if (!rps) return CONNECTIONS * 20;
  return Math.min(60_000, Math.max(CONNECTIONS * 4, Math.ceil(rps * seconds * 1.2)));
}

/** A contender's run of one scenario: warmed up, then measured round by round (see {@link runScenario}). */
function startState(scenario, name, contender) {
  return { scenario, name, contender, cpu: 0, requests: 0, seconds: 0, errors: 0, errorKinds: {}, rounds: [], problem: undefined };
}

async function warmUp(state) {
  const { scenario, name, contender } = state;
  const codeBound = scenario === "authorization_code";
  log(`${scenario} / ${name}: warmup ${WARMUP}s${codeBound ? " (bounded by the codes minted)" : ""}`);
  const warmCodes = codesFor(contender.refreshRps, WARMUP);
  const warm = await prepare(name, contender, scenario, warmCodes);
  // Ward's token-serving peak RSS is measured apart from its one-off password hashing (scrypt,
  // 64 MiB per hash: fixture user, first sign-in), which happened before this window opens.
  if (name.startsWith("ward")) contender.peakBeforeMb = Math.max(contender.peakBeforeMb ?? 0, restartPeakRss(contender.pid) || 0);
  const result = await peak(contender.url, warm, { connections: CONNECTIONS, duration: WARMUP, amount: codeBound ? warmCodes : undefined });
  const problem = warm.tally.verdict();
  if (problem) state.problem = `in the warmup: ${problem}`;
  state.rate = contender.refreshRps ?? result.rps;
}

/** One round of the peak run: `seconds` of closed-loop load, its CPU time, requests and latencies added to the state. */
async function measureRound(state, seconds) {
  const { scenario, name, contender } = state;
  const codes = scenario === "authorization_code" ? codesFor(state.rate, seconds) : undefined;
  const run = await prepare(name, contender, scenario, codes);
  const cpuBefore = cpuSeconds(contender.pid);
  const result = await peak(contender.url, run, { connections: CONNECTIONS, duration: seconds, amount: codes });
  state.cpu += cpuSeconds(contender.pid) - cpuBefore;
  state.requests += result.requests;
  state.seconds += result.seconds;
  state.errors += result.errors;
  for (const [kind, count] of Object.entries(result.error_kinds)) state.errorKinds[kind] = (state.errorKinds[kind] ?? 0) + count;
  state.rounds.push({ rps: result.rps, p50_ms: result.p50_ms, p99_ms: result.p99_ms });
  state.rate = result.rps;
  const problem = run.tally.verdict();
  if (problem) state.problem ??= `in round ${state.rounds.length}: ${problem}`;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** The peak result of a contender's rounds: rates and CPU over all of them, p50 the rounds' median, p99 the worst round's. */
function peakResult(state) {
  return {
    rps: Math.round(state.requests / state.seconds),
    cpu_ms_per_req: Math.round((state.cpu * 1e5) / state.requests) / 100,
    p50_ms: median(state.rounds.map((r) => r.p50_ms)),
    p99_ms: Math.max(...state.rounds.map((r) => r.p99_ms)),
    errors: state.errors,
    error_kinds: state.errorKinds,
    requests: state.requests,
    seconds: Math.round(state.seconds * 100) / 100,
    rounds_rps: state.rounds.map((r) => r.rps),
  };
}

const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 1000);
/**
 * Before a fixed-rate run: a full GC of the generator (run.mjs runs with --expose-gc) and a pause. A
 * thread sampler put the first second of half-peak runs on what the peak run left: the generator's
 * V8 helper threads busy 30–50 ms of every 100 ms for ~0.9 s (its heap after autocannon) and Ward's
 * main thread waiting for a core 15–40 ms of every 100 ms, a burst that spilled past the unmeasured
 * second into the measured ones.
 */
async function settle() {
  if (SETTLE_MS <= 0) return;
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/** Ward only: the open-loop run at half of its peak rate, and the same run against the limit server (the generator's floor). */
async function halfPeak(state, entry, limit) {
  const { scenario, name, contender } = state;
  const rate = Math.max(1, Math.floor(entry.rps / 2));
  const openLoop = { rate, duration: HALF_RATE_DURATION, warmup: HALF_RATE_WARMUP, connections: CONNECTIONS };
  const timeline = (run) => (OUTPUT_DIR ? join(OUTPUT_DIR, `half-peak-${scenario}-${name}${run}.json`) : undefined);
  const needed = Math.ceil(rate * (HALF_RATE_WARMUP + HALF_RATE_DURATION)) + CONNECTIONS;
  const half = await prepare(name, contender, scenario, needed);
  await settle();
  entry.half_peak = await fixedRate(contender.url, half, { ...openLoop, timeline: timeline("") });
  // The same open loop against the limit server (same grant, same tokens signed) at the same rate: how
  // much of the p99 is the load generator's own jitter (timers, its GC; it shares the cores) rather than Ward's.
  if (limit) {
    const floorScenario = await prepare("limit", limit, scenario, needed);
    await settle();
    const floor = await fixedRate(limit.url, floorScenario, {
      ...openLoop,
      timeline: timeline("-floor"),
    });
    entry.half_peak.floor_p50_ms = floor.p50_ms;
    entry.half_peak.floor_p99_ms = floor.p99_ms;
    entry.half_peak.floor_median_window_p99_ms = floor.median_window_p99_ms;
    entry.half_peak.floor_generator_stall_max_ms = floor.generator_stall_max_ms;
  }
  return half.tally.verdict();
}

/**
 * One scenario on every contender that serves it: each is warmed up, then the peak run is split
 * into ROUNDS rounds in which the contenders take turns (in reverse order every other round), so
 * that the machine's drift over the minutes of a run (on a shared virtual machine, the same server
 * moved by 30 % and more between runs a minute apart) falls on every contender alike and the ratios
 * compare like with like. Ward's half-peak runs follow.
 */
async function runScenario(scenario, names, running, entries, failures) {
  const states = names.map((name) => startState(scenario, name, running[name]));
  const fail = (state, message) => {
    state.failed ??= message;
    log(`  ${scenario} / ${state.name} FAILED: ${message}`);
  };
  for (const state of states) await warmUp(state).catch((error) => fail(state, error.message));
  const roundSeconds = DURATION / ROUNDS;
  log(`${scenario}: ${ROUNDS} rounds of ${roundSeconds}s per contender, taking turns (${names.join(", ")})`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? states : [...states].reverse();
    for (const state of order) if (!state.failed) await measureRound(state, roundSeconds).catch((error) => fail(state, error.message));
  }
  for (const state of states) {
    const { name, contender } = state;
    if (state.failed) {
      failures.push(`${scenario} / ${name}: ${state.failed}`);
      entries.push({ scenario, contender: name, rps: null, p50_ms: null, p99_ms: null, errors: null, rss_mb: null, failed: state.failed });
      continue;
    }
    const result = peakResult(state);
    if (scenario === "refresh_token") contender.refreshRps = result.rps;
    const entry = { scenario, contender: name, ...result, rss_mb: peakRssMb(contender.pid), rss_now_mb: currentRssMb(contender.pid) };
    const problem = state.problem ?? (result.errors ? `${result.errors} errors (${JSON.stringify(result.error_kinds)})` : undefined);
    const isWard = name.startsWith("ward");
    if (problem) {
      entry.failed = problem;
      failures.push(`${scenario} / ${name}: ${problem}`);
      log(`  FAILED: ${problem}`);
    } else if (isWard && scenario !== "introspection") {
      const halfProblem = await halfPeak(state, entry, running.limit).catch((error) => error.message);
      if (halfProblem) {
        entry.failed = `at half peak: ${halfProblem}`;
        failures.push(`${scenario} / ${name} at half peak: ${halfProblem}`);
      }
      entry.rss_now_mb = currentRssMb(contender.pid);
    }
    if (isWard) {
      entry.rss_serving_mb = peakRssMb(contender.pid);
      entry.rss_mb = Math.max(contender.peakBeforeMb ?? 0, entry.rss_serving_mb ?? 0);
    }
    log(
      `  ${scenario} / ${name}: ${result.rps} req/s (rounds ${result.rounds_rps.join(", ")}), ${result.cpu_ms_per_req} CPU ms/req, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, ${result.errors} errors${entry.half_peak ? `; at ${entry.half_peak.rate} req/s p99 ${entry.half_peak.p99_ms} ms` : ""}`,
    );
    entries.push(entry);
  }
}

async function main() {
  const started = Date.now();
  const entries = [];
  const failures = [];
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      loadavg_at_start: loadavg().map((l) => Number(l.toFixed(2))),
      damon_monitors: damonMonitors(),
    },
  };
  report.settings = {
    connections: CONNECTIONS,
    duration_s: DURATION,
    warmup_s: WARMUP,
    rounds: ROUNDS,
    half_peak_duration_s: HALF_RATE_DURATION,
    half_peak_warmup_s: HALF_RATE_WARMUP,
    load_generator: "autocannon (peak, closed loop); open loop on node:http (fixed rate)",
  };

  if (wanted("ward-sqlite") || wanted("ward-postgres")) {
    log("ward server time-to-ready (fresh SQLite file, then a restart on it)…");
    report.ward_time_to_ready_ms = await measureTimeToReady();
  }
  const names = Object.keys(CONTENDERS).filter(wanted);
  if (names.includes("ward-postgres") && !(await postgresReachable())) names.splice(names.indexOf("ward-postgres"), 1);
  const running = {};
  try {
    for (const name of names) {
      log(`starting ${name}…`);
      running[name] = { name, ...(await CONTENDERS[name]()) };
    }
    for (const [scenario, contenders] of Object.entries(SCENARIOS)) {
      if (!wanted(scenario)) continue;
      const present = contenders.filter((name) => running[name]);
      if (present.length) await runScenario(scenario, present, running, entries, failures);
    }
    const wards = names.filter((n) => n.startsWith("ward"));
    report.ward_peak_rss_mb = Object.fromEntries(
      wards.map((n) => [n, Math.max(running[n].peakBeforeMb ?? 0, peakRssMb(running[n].pid) ?? 0)]),
    );
    // The peak above includes Ward's one-off password hashing (scrypt, 64 MiB each: the fixture user, the sign-in);
    // this one is the peak during the token scenarios only.
    report.ward_serving_peak_rss_mb = Object.fromEntries(
      wards.map((n) => [n, Math.max(0, ...entries.filter((e) => e.contender === n).map((e) => e.rss_serving_mb ?? 0))]),
    );
    report.ward_rss_at_end_mb = Object.fromEntries(names.filter((n) => n.startsWith("ward")).map((n) => [n, currentRssMb(running[n].pid)]));
    report.peer_peak_rss_mb = Object.fromEntries(names.filter((n) => !n.startsWith("ward")).map((n) => [n, peakRssMb(running[n].pid)]));
  } finally {
    for (const contender of Object.values(running)) {
      await stopChild(contender.child);
      await contender.cleanup();
    }
  }
  if (wanted("verify")) {
    log("verify: @ward/sdk verify against bare jose.jwtVerify (in process)…");
    const verify = await measureVerify();
    report.verify_method = verify.method;
    for (const r of verify.results) entries.push({ ...r, rps: r.ops_per_s, p50_ms: null, p99_ms: null, errors: 0 });
  }
  report.results = entries;
  Object.assign(report, ratiosAndTargets(report));
  report.failures = failures;
  report.wall_clock_s = Math.round((Date.now() - started) / 1000);
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  printReport(report);
  if (failures.length) {
    console.log(`\n${failures.length} scenario(s) FAILED:\n${failures.map((f) => `  ${f}`).join("\n")}`);
    process.exitCode = 1;
  }
}

await main();
