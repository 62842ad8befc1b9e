// An Apple Mail Privacy Protection burst against one pool, open loop, in local workerd driven directly
// (bench/worker/direct.mjs): issue 12's send of 1M recipients, half of them prefetched by MPP within the
// first 10 minutes, each prefetch fetching the pixel and the number image.
//   node bench/worker/burst.mjs [need=1994] [seconds=60] [step-seconds=15] [shards=1]
// `need` is the send's busiest second in requests/s (`cargo run --release --example blast` prints it:
// 1,994 for the 1M send). Requests are started on a fixed schedule whatever the answers (open loop: a slow
// answer does not slow the arrivals, as an MPP burst does not wait), first for `seconds` at the need,
// then `step-seconds` each at 1.5×, 2×, 3× and 4× it, each prefetch on a recipient of its own. Latency is
// measured from each request's scheduled start, so queueing counts. After each phase the pool's open
// count must settle at exactly one open per answered request (none lost, none twice). `shards` > 1
// splits the pool over that many objects (the pool's `shards`): the opens of each shard coalesce on
// their own, and the count read is the sum over the shards.
// Run under `flock /tmp/ringmark-build.lock` (pkg/ must be built: `make build`).
import { loadavg, cpus } from "node:os";
import { Agent, fetch } from "undici"; // miniflare's (a dependency of wrangler): a pool of keep-alive connections
import { api, UA } from "../../tests/e2e/worker.mjs";
import { startDirect } from "./direct.mjs";
import { issueTokens, numbers, ids } from "./seed.mjs";

const args = process.argv.slice(2);
const NEED = Number(args[0] ?? 1994);
const SECONDS = Number(args[1] ?? 60);
const STEP_SECONDS = Number(args[2] ?? 15);
const SHARDS = Number(args[3] ?? 1);
const IP = "203.0.113.7"; // RFC 5737: no IP ranges are configured, so it changes no classification
const TICK_MS = 5;
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const phases = [
  { label: "the send's busiest second", multiple: 1, seconds: SECONDS },
  ...[1.5, 2, 3, 4].map((m) => ({ label: `${m}× it`, multiple: m, seconds: STEP_SECONDS })),
];

const { base, dispose } = await startDirect();
const dispatcher = new Agent({ connections: 512, pipelining: 1, keepAliveTimeout: 30_000 });
try {
  log(`workerd up: ${base}; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}; ${cpus().length} cpus`);
  const put = await api(base, "PUT", "/v1/pools/blast", { numbers: numbers("415557", 5000), fallback: "+14155550999", lease_seconds: 3600, max_holders: 10_000_000, ...(SHARDS > 1 ? { shards: SHARDS } : {}) }); // unbounded: every prefetch kept
  if (put.status !== 200) throw new Error(`PUT: ${JSON.stringify(put.body)}`);
  const tokens = (campaign, n) => issueTokens(base, "blast", campaign, ids(campaign, n));
  const opens = async () => (await api(base, "GET", "/v1/pools/blast")).body.opens.total;
  const settle = async () => {
    let last = await opens();
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await opens();
      if (now === last) return now;
      last = now;
    }
  };

  const rows = [];
  for (const [p, phase] of phases.entries()) {
    const rate = NEED * phase.multiple;
    const total = Math.round(rate * phase.seconds);
    const list = await tokens(`phase${p}`, Math.ceil(total / 2));
    // Each prefetch: the pixel, then (0-50 ms later) the number image, as a mail client loads both.
    const schedule = [];
    for (let i = 0; i < total; i++) {
      const at = (i / rate) * 1000;
      const token = list[i >> 1];
      schedule.push({ at, path: i % 2 === 0 ? `/o/${token}.gif` : `/n/${token}.png` });
    }
    const before = await opens();
    const latencies = [];
    let bad = 0;
    const start = performance.now();
    const inflight = [];
    let next = 0;
    await new Promise((done) => {
      const tick = () => {
        const now = performance.now() - start;
        while (next < schedule.length && schedule[next].at <= now) {
          const { at, path } = schedule[next++];
          inflight.push(
            fetch(`${base}${path}`, { dispatcher, headers: { "user-agent": UA.appleMpp, "cf-connecting-ip": IP } })
              .then(async (r) => {
                await r.arrayBuffer();
                if (r.status !== 200) bad++;
                latencies.push(performance.now() - start - at);
              })
              .catch(() => bad++),
          );
        }
        if (next < schedule.length) setTimeout(tick, TICK_MS);
        else done();
      };
      tick();
    });
    await Promise.all(inflight);
    const elapsed = (performance.now() - start) / 1000;
    const counted = (await settle()) - before;
    latencies.sort((a, b) => a - b);
    const q = (f) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * f))];
    const row = {
      phase: phase.label,
      target: Math.round(rate),
      achieved: Math.round(latencies.length / elapsed),
      p50: q(0.5),
      p99: q(0.99),
      max: latencies.at(-1),
      bad,
      requests: total,
      counted,
    };
    rows.push(row);
    log(JSON.stringify(row));
  }
  console.log(`need ${NEED} req/s (the 1M send's busiest second); ${SHARDS} shard(s); load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log("| phase | target req/s | achieved req/s | p50 | p99 | max | errors | opens counted ÷ requests |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const ms = (x) => `${x.toFixed(1)} ms`;
    console.log(`| ${r.phase} | ${r.target} | ${r.achieved} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.bad} | ${r.counted}/${r.requests} |`);
  }
} finally {
  await dispatcher.close();
  await dispose();
}
