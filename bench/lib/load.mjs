// The two load generators. Peak: autocannon, closed loop (each connection sends its next request
// when the previous answer arrived). Fixed rate: an open loop on node:http that schedules requests
// evenly (request k at k / rate seconds) and measures latency from the scheduled instant, so a
// server that falls behind shows it. autocannon's own overallRate sends each connection's quota for
// the second in a burst at the start of the second, which measures burst latency, not a steady rate.
//
// A scenario gives `path`, `headers`, `body(slot)` and `onResponse(slot, status, body)`;
// slot is the connection's number, so state that must follow one connection (a refresh token
// chain) lives in the scenario, keyed by slot.
import { writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import autocannon from "autocannon";

/** Closed-loop peak run: { rps, p50_ms, p99_ms, errors, error_kinds, requests, seconds }. `amount` bounds by count instead of time. */
export function peak(url, scenario, { connections, duration, amount }) {
  let nextSlot = 0;
  const options = {
    url,
    connections,
    duration,
    amount,
    timeout: 10,
    setupClient(client) {
      const slot = nextSlot++;
      client.setRequests([
        {
          method: "POST",
          path: scenario.path,
          headers: scenario.headers,
          setupRequest: (req) => ({ ...req, body: scenario.body(slot) }),
          onResponse: (status, responseBody) => scenario.onResponse(slot, status, responseBody),
        },
      ]);
    },
  };
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => {
      if (error) return reject(error);
      const requests = result.requests.total;
      resolve({
        rps: Math.round(requests / result.duration),
        p50_ms: result.latency.p50,
        p99_ms: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx,
        error_kinds: { non2xx: result.non2xx, socket: result.errors, timeouts: result.timeouts },
        requests,
        seconds: result.duration,
      });
    });
  });
}

/** The p-th percentile of an ascending array (0 when empty). */
export const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : 0);
const round2 = (n) => Math.round(n * 100) / 100;
const ascending = (a, b) => a - b;

/**
 * Open-loop run at `rate` requests/s for `warmup` + `duration` s over `connections` keep-alive
 * sockets; only requests due after the warmup count (the warmup's own p99 is `warmup_p99_ms`).
 * The first ~0.7 s straight after a peak run is a transient of its own: the limit server, which
 * stores nothing, showed 50–80 ms latencies there as Ward did, and 5–12 ms p99 after it; on Ward
 * SQLite it is also the WAL the peak run left being checkpointed (one 5 s run: p99 247 ms).
 * `generator_stall_max_ms`: the generator's longest event-loop delay in the measured part (while
 * its loop is blocked, answers wait unread and count as latency), so a p99 it caused shows.
 * `window_p99_ms`: the p99 of each second of the measured part (by due time), and
 * `median_window_p99_ms` their median: one bad second moves p99_ms, not the median.
 * `timeline`: a file to write every request's due time, latency and status to (JSON; see
 * bench/timeline.mjs), for finding when in a run the slow answers came.
 */
export async function fixedRate(url, scenario, { rate, duration, connections, warmup = 0, timeline }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const { hostname, port } = new URL(url);
  const total = Math.round(rate * (warmup + duration));
  const counted = Math.round(rate * warmup);
  const latencies = [];
  const warmupLatencies = [];
  /** The measured latencies per second of due time: a second-long stall shows in one window, not all. */
  const windows = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  let errors = 0;
  /** [due ms since the start, latency ms, status (0: no answer)] per request, when `timeline` is set. */
  const requests = timeline ? [] : undefined;
  const send = (slot) =>
    new Promise((resolve) => {
      const body = scenario.body(slot);
      const headers = { ...scenario.headers, "content-length": Buffer.byteLength(body) };
      const req = httpRequest({ agent, hostname, port, path: scenario.path, method: "POST", headers }, (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode < 200 || res.statusCode > 299) errors++;
          scenario.onResponse(slot, res.statusCode, text);
          resolve(res.statusCode);
        });
      });
      req.on("error", () => {
        errors++;
        resolve(0);
      });
      req.end(body);
    });
  const started = performance.now();
  const measuring = setTimeout(() => loopDelay.enable(), warmup * 1000);
  // Request k belongs to connection k % connections and is due at started + k / rate seconds.
  const slotLoop = async (slot) => {
    for (let k = slot; k < total; k += connections) {
      const due = started + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const status = await send(slot);
      const latency = performance.now() - due;
      requests?.push([round2(due - started), round2(latency), status]);
      if (k < counted) warmupLatencies.push(latency);
      else {
        latencies.push(latency);
        const window = Math.floor((k - counted) / rate);
        if (!windows[window]) windows[window] = [];
        windows[window].push(latency);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, slot) => slotLoop(slot)));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort(ascending);
  warmupLatencies.sort(ascending);
  const windowP99s = windows.filter((w) => w.length > 0).map((w) => round2(percentile(w.sort(ascending), 99)));
  clearTimeout(measuring);
  loopDelay.disable();
  if (timeline) {
    // started_epoch_ms lines the due times up with the servers' own logs (wall clock, ms).
    const started_epoch_ms = Math.round(performance.timeOrigin + started);
    writeFileSync(timeline, JSON.stringify({ rate, warmup_s: warmup, duration_s: duration, connections, started_epoch_ms, requests }));
  }
  return {
    rate,
    achieved_rps: Math.round(total / seconds),
    p50_ms: round2(percentile(latencies, 50)),
    p99_ms: round2(percentile(latencies, 99)),
    window_p99_ms: windowP99s,
    median_window_p99_ms: percentile([...windowP99s].sort(ascending), 50),
    generator_stall_max_ms: round2(loopDelay.max / 1e6),
    warmup_p99_ms: round2(percentile(warmupLatencies, 99)),
    errors,
    requests: total - counted,
  };
}
