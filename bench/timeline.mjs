// Prints a half-peak run's timeline (written to BENCH_OUTPUT_DIR by `npm run bench`) in slices of
// its due time: how many requests were due, their p50, p99 and slowest latency, and any errors.
// The unmeasured first second is marked. Shows whether a run's p99 came from one burst or from
// every second.
//
//   node bench/timeline.mjs <half-peak-….json> [slice ms=250]
import { readFileSync } from "node:fs";
import { percentile } from "./lib/load.mjs";

const [file, sliceArg = "250"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/timeline.mjs <half-peak-….json> [slice ms]");
  process.exit(2);
}
const slice = Number(sliceArg);
const { rate, warmup_s: warmup, requests } = JSON.parse(readFileSync(file, "utf8"));
const slices = new Map();
for (const [due, latency, status] of requests) {
  const index = Math.floor(due / slice);
  if (!slices.has(index)) slices.set(index, { latencies: [], errors: 0 });
  const entry = slices.get(index);
  entry.latencies.push(latency);
  if (status < 200 || status > 299) entry.errors++;
}
console.log(`${requests.length} requests at ${rate}/s; the first ${warmup} s is not measured`);
console.log("from s    n   p50 ms   p99 ms   max ms  errors");
for (const [index, { latencies, errors }] of [...slices].sort((a, b) => a[0] - b[0])) {
  const sorted = latencies.sort((a, b) => a - b);
  const from = (index * slice) / 1000;
  const row = [
    from.toFixed(2).padStart(6),
    String(sorted.length).padStart(4),
    ...[50, 99].map((p) => percentile(sorted, p).toFixed(2).padStart(8)),
  ];
  console.log(
    `${row.join(" ")} ${sorted.at(-1).toFixed(2).padStart(8)} ${String(errors).padStart(7)}${from < warmup ? "  (unmeasured)" : ""}`,
  );
}
