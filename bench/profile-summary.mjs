// Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`), e.g. of `ward server`
// under `BENCH_WARD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/ward-prof" npm run bench -- --only …`.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [top=25] [filter | categories]
// With a filter (a substring of a file path, e.g. packages/server), it also lists the inclusive
// time (self + callees) of the matching functions. With the filter `categories`, it splits the busy
// time by what it was spent on instead (see CATEGORIES).
import { readFileSync } from "node:fs";
import { relative } from "node:path";

const [file, topArg, filter] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-summary.mjs <file.cpuprofile> [top=25]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const interval = new Map();
// Each sample's time is the gap to the next one; it belongs to the sampled (leaf) node.
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  interval.set(id, (interval.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const self = new Map();
let total = 0;
for (const [id, micros] of interval) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const where = url ? `${relative(process.cwd(), url.replace("file://", ""))}:${lineNumber + 1}` : "";
  const key = `${functionName || "(anonymous)"} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + micros);
  total += micros;
}
const idle = [...self].filter(([key]) => key.startsWith("(idle)")).reduce((sum, [, micros]) => sum + micros, 0);
console.log(`${(total / 1e6).toFixed(1)} s sampled, ${((100 * idle) / total).toFixed(1)} % idle; self time of the busy rest:`);
for (const [key, micros] of [...self]
  .filter(([k]) => !k.startsWith("(idle)"))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(topArg ?? 25))) {
  console.log(`${((100 * micros) / (total - idle)).toFixed(1).padStart(5)} %  ${key}`);
}

const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

/**
 * What a sample was spent on: the first category, from the sampled function up through its
 * callers, whose pattern matches a frame's `functionName url`; V8's time in native code (a SQLite
 * call, a signature) is sampled in the JS function that called it.
 */
const CATEGORIES = [
  ["garbage collection", /^\(garbage collector\)/],
  ["ES256 signing (JWS)", /^signOneShot |node:internal\/crypto\/sig|^signCompactJws /],
  ["SQLite (statements, commits)", /better-sqlite3|sqlite-driver|store\/guarded-writes|store\/issued-token-log/],
  ["SHA-256 (secrets, token hashes)", /node:internal\/crypto\/hash/],
  [
    "HTTP (node:http, hono, sockets)",
    /node:_http|node:net|stream_base_commons|^writev |^writeGeneric |@hono\/node-server|node_modules\/hono\//,
  ],
  ["Ward's own code", /packages\/(server|core)\/dist/],
];

if (filter === "categories") {
  const spent = new Map();
  for (const [id, micros] of interval) {
    let category = "other (V8, Node internals)";
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url } = byId.get(at).callFrame;
      if (functionName === "(idle)") category = undefined;
      const found = CATEGORIES.find(([, pattern]) => pattern.test(`${functionName} ${url}`));
      if (found || !category) {
        category = found?.[0];
        break;
      }
    }
    if (category) spent.set(category, (spent.get(category) ?? 0) + micros);
  }
  console.log("\nbusy time by category:");
  for (const [category, micros] of [...spent].sort((a, b) => b[1] - a[1]))
    console.log(`${((100 * micros) / (total - idle)).toFixed(1).padStart(5)} %  ${category}`);
} else if (filter) {
  const inclusive = new Map();
  const name = (node) =>
    `${node.callFrame.functionName || "(anonymous)"} ${relative(process.cwd(), node.callFrame.url.replace("file://", ""))}:${node.callFrame.lineNumber + 1}`;
  for (const [id, micros] of interval) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node.callFrame.url.includes(filter)) continue;
      const key = name(node);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  }
  console.log(`\ninclusive time of functions in ${filter}:`);
  for (const [key, micros] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25))) {
    console.log(`${((100 * micros) / (total - idle)).toFixed(1).padStart(5)} %  ${key}`);
  }
}
