// The ratios and targets of issue 7, and the table printed at the end of `npm run bench`.
const WARDS = ["ward-sqlite", "ward-postgres"];
const TOKEN_SCENARIOS = ["client_credentials", "refresh_token", "authorization_code"];

const round3 = (n) => Math.round(n * 1000) / 1000;

const entryOf = (results, scenario, contender) => results.find((r) => r.scenario === scenario && r.contender === contender && !r.failed);
const rpsOf = (results, scenario, contender) => entryOf(results, scenario, contender)?.rps;

/** `ratios`: every Ward / peer throughput ratio (and its CPU-time counterpart); `targets`: each target of issue 7 with its value and whether it is met. */
export function ratiosAndTargets(report) {
  const { results } = report;
  const ratios = [];
  // cpu_value: the same comparison by CPU time per request of the server process (theirs / mine),
  // steadier than req/s when other work shares the machine.
  const compare = (scenario, mineName, theirsName) => {
    const [mine, theirs] = [entryOf(results, scenario, mineName), entryOf(results, scenario, theirsName)];
    if (!mine?.rps || !theirs?.rps) return;
    const cpu = theirs.cpu_ms_per_req / mine.cpu_ms_per_req;
    ratios.push({
      scenario,
      ratio: `${mineName} / ${theirsName}`,
      value: round3(mine.rps / theirs.rps),
      cpu_value: Number.isFinite(cpu) ? round3(cpu) : null,
    });
  };
  for (const scenario of [...new Set(results.map((r) => r.scenario))]) {
    for (const ward of WARDS) for (const peer of ["oidc-provider", "oidc-provider-sqlite", "limit"]) compare(scenario, ward, peer);
    // The ceiling of a Ward / oidc-provider ratio: the limit signs the same tokens and stores nothing.
    for (const peer of ["oidc-provider", "oidc-provider-sqlite"]) compare(scenario, "limit", peer);
    const [sdk, jose] = [rpsOf(results, scenario, "@ward/sdk verify"), rpsOf(results, scenario, "bare jose.jwtVerify")];
    if (sdk && jose) ratios.push({ scenario, ratio: "@ward/sdk / jose", value: round3(sdk / jose) });
  }
  const ratio = (scenario, name) => ratios.find((r) => r.scenario === scenario && r.ratio === name)?.value;
  const targets = [];
  const target = (name, value, ok, ceiling) =>
    value !== undefined && value !== null && targets.push({ target: name, value, met: ok(value), ...(ceiling ? { ceiling } : {}) });
  /** A ≥ 3× target's ceiling: the limit / that peer, what a server storing nothing reaches. */
  const ceilingOf = (scenario, peer) => ratio(scenario, `limit / ${peer}`);
  target("client_credentials: ward-sqlite / limit >= 0.8", ratio("client_credentials", "ward-sqlite / limit"), (v) => v >= 0.8);
  // Against oidc-provider in memory (the issue's peer), then storing on SQLite as Ward does (like for like).
  for (const peer of ["oidc-provider", "oidc-provider-sqlite"]) {
    for (const scenario of TOKEN_SCENARIOS) {
      const name = `${scenario}: ward-sqlite / ${peer} >= 3`;
      target(name, ratio(scenario, `ward-sqlite / ${peer}`), (v) => v >= 3, ceilingOf(scenario, peer));
    }
  }
  for (const entry of results) {
    if (entry.half_peak && TOKEN_SCENARIOS.includes(entry.scenario)) {
      target(
        `${entry.scenario}: ${entry.contender} p99 at half peak (${entry.half_peak.rate} req/s) < 10 ms`,
        entry.half_peak.p99_ms,
        (v) => v < 10,
      );
    }
  }
  target("verify: @ward/sdk / jose >= 0.9", ratio("verify", "@ward/sdk / jose"), (v) => v >= 0.9);
  for (const [ward, mb] of Object.entries(report.ward_peak_rss_mb ?? {})) target(`${ward} peak RSS < 200 MB`, mb, (v) => v < 200);
  for (const [ward, mb] of Object.entries(report.ward_serving_peak_rss_mb ?? {}))
    target(`${ward} peak RSS while serving tokens (no password hashing) < 200 MB`, mb || undefined, (v) => v < 200);
  for (const [boot, ms] of Object.entries(report.ward_time_to_ready_ms ?? {}))
    target(`ward server ready (${boot.replace("_ms", "")}) < 1000 ms`, ms, (v) => v < 1000);
  return { ratios, targets };
}

const pad = (value, width, right = false) => (right ? String(value ?? "-").padStart(width) : String(value ?? "-").padEnd(width));

export function printReport(report) {
  const s = report.settings;
  console.log(
    `\nWard benchmarks, ${report.date} — ${report.machine.cpus} CPU(s) ${report.machine.model}, Node ${report.machine.node}, load average at start ${report.machine.loadavg_at_start.join(" ")}`,
  );
  for (const monitor of report.machine.damon_monitors ?? []) {
    console.log(
      `kernel DAMON monitor on (kdamond pid ${monitor.pid}, ${monitor.operations}, a sample every ${monitor.sample_ms} ms, actions: ${monitor.actions.join(", ") || "none"}): expect a latency burst per sample in ward-postgres's half-peak runs (bench/README part 11)`,
    );
  }
  console.log(
    `${s.connections} connections, ${s.warmup_s} s warmup + ${s.duration_s} s per scenario and contender${s.rounds ? ` (${s.rounds} rounds, the contenders taking turns)` : ""}; half-peak runs ${s.half_peak_warmup_s ?? 0} s unmeasured + ${s.half_peak_duration_s} s at a fixed rate\n`,
  );
  console.log(
    `${pad("scenario", 19)} ${pad("contender", 20)} ${pad("req/s", 8, true)} ${pad("CPU ms/req", 10, true)} ${pad("p50 ms", 7, true)} ${pad("p99 ms", 7, true)} ${pad("errors", 6, true)} ${pad("peak MB", 7, true)} ${pad("now MB", 7, true)}  at half peak`,
  );
  for (const r of report.results) {
    const floor =
      r.half_peak?.floor_p99_ms !== undefined
        ? ` (limit at that rate: p99 ${r.half_peak.floor_p99_ms} ms, 1-s windows' median ${r.half_peak.floor_median_window_p99_ms} ms)`
        : "";
    const late =
      r.half_peak?.generator_stall_max_ms !== undefined ? ` (generator stalled up to ${r.half_peak.generator_stall_max_ms} ms)` : "";
    const half = r.half_peak
      ? `${r.half_peak.rate} req/s: p50 ${r.half_peak.p50_ms} ms, p99 ${r.half_peak.p99_ms} ms, 1-s windows' median p99 ${r.half_peak.median_window_p99_ms} ms${late}${floor}`
      : "";
    const line = `${pad(r.scenario, 19)} ${pad(r.contender, 20)} ${pad(r.rps, 8, true)} ${pad(r.cpu_ms_per_req, 10, true)} ${pad(r.p50_ms, 7, true)} ${pad(r.p99_ms, 7, true)} ${pad(r.errors, 6, true)} ${pad(r.rss_mb, 7, true)} ${pad(r.rss_now_mb, 7, true)}  ${half}`;
    console.log(r.failed ? `${line}  FAILED: ${r.failed}` : line);
  }
  console.log(`\nratios ${pad("", 43)} req/s  CPU/req`);
  for (const r of report.ratios) {
    console.log(
      `  ${pad(r.scenario, 19)} ${pad(r.ratio, 30)} ${pad(r.value.toFixed(2), 6, true)} ${pad(r.cpu_value?.toFixed(2), 8, true)}`,
    );
  }
  console.log("\ntargets (issue 7)");
  for (const t of report.targets) {
    const ceiling = t.ceiling ? `   (ceiling: the limit, storing nothing, is ${t.ceiling.toFixed(2)})` : "";
    console.log(`  ${t.met ? "met    " : "NOT MET"}  ${pad(t.target, 72)} ${t.value}${ceiling}`);
  }
  console.log(
    `\nwritten to bench/results/latest.json (${report.wall_clock_s} s). Numbers from a busy machine are provisional: compare ratios, not absolutes.`,
  );
}
