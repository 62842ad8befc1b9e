// How far ringmark's email routes are from the platform's floor, in local workerd driven directly
// (no wrangler dev proxy): ringmark and a minimal reference Worker + SQLite Durable Object
// (bench/worker/reference/) run in one workerd started with Miniflare, each reached through its own
// direct socket (Miniflare's `unsafeDirectSockets`: the socket is the Worker's service itself, with
// neither wrangler dev's ProxyWorker nor Miniflare's entry worker in front). wrk (one thread,
// 16 connections) loads each route for a fixed time after a warm-up, in alternating order over the
// rounds; each route's figures are reported as ratios to ringmark's `GET /` and to the reference's
// RPC insert of the same round, medians over rounds, and as workerd's CPU time per request (from
// /proc, the drain of recording after the responses included; steadier than req/s when other
// users' load shares the machine).
//   node bench/worker/floor.mjs [seconds=10] [rounds=3] [--entry] [--disk]
// --entry adds `GET /` through Miniflare's entry socket (what wrangler dev's proxy forwards to).
// Durable Object storage lives on tmpfs (/dev/shm) unless --disk puts it under the temp directory as
// `wrangler dev --persist-to` does: local workerd commits each write with an fsync, and a shared disk's
// fsync time (printed at the start) then sets every writing route's rate, not the code under test.
// CONNECTIONS=n changes wrk's connection count (16).
// ROUTES=id,id,... keeps only those routes (plus `root` and `ref-rpc`, the bases of the ratios).
// ringmark is bundled as `wrangler deploy --dry-run` bundles it (pkg/ must be built: `make build`).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, mkdirSync, openSync, writeSync, fsyncSync, closeSync } from "node:fs";
import { loadavg, cpus } from "node:os";
import { join } from "node:path";
import { api, UA } from "../../tests/e2e/worker.mjs";
import { startDirect } from "./direct.mjs";
import { putPool, issueTokens, numbers, ids, cyclingScript } from "./seed.mjs";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const seconds = Number(args[0] ?? 10);
const rounds = Number(args[1] ?? 3);
const withEntry = process.argv.includes("--entry");
const WARM_SECONDS = 2;
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
// Fresh recipients per round and pool for first opens (two pools per round), each on a free number:
// enough for the warm-up and the run at the highest rate seen here (checked after each run).
const FIRST_CAPACITY = Math.min(Number(process.env.FIRST_CAPACITY ?? 10_000), 10_000);
// A documentation address (RFC 5737): production requests always carry CF-Connecting-IP, the
// classifier reads it; no IP ranges are configured, so it changes no classification.
const IP = "203.0.113.7";
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

const { base, ref, entry, state, work, onDisk, dispose } = await startDirect({ reference: true, disk: process.argv.includes("--disk") });
try {
  log(`workerd up: ringmark ${base}, reference ${ref}, entry ${entry}`);

  // Pools and tokens (seed.mjs).
  const pool = (id, list) => putPool(base, id, list);
  const tokens = (id, campaign, recipients) => issueTokens(base, id, campaign, recipients);

  // The main pool: 1,000 numbers; 800 recipients opened once (their re-opens renew an exclusive
  // lease; 800 numbers cycled in order never hit the isolate's 256-image render cache, so
  // `reopen-hot` cycles 200 of them), 2,000 for pixel opens, 2,000 for machine opens.
  await pool("bench", numbers("415556", 1000));
  const reopen = await tokens("bench", "bench", ids("reopen", 800));
  const pixel = await tokens("bench", "bench", ids("pixel", 2000));
  const machine = await tokens("bench", "bench", ids("machine", 2000));
  for (let i = 0; i < reopen.length; i += 16) {
    await Promise.all(
      reopen.slice(i, i + 16).map(async (t) => {
        const r = await fetch(`${base}/n/${t}.png`, { headers: { "user-agent": UA.desktop, "cf-connecting-ip": IP } });
        await r.arrayBuffer();
        if (r.headers.get("x-ringmark-lease") !== "exclusive") throw new Error(`seed open: lease ${r.headers.get("x-ringmark-lease")}`);
      }),
    );
  }
  // First opens: fresh pools per round, each with FIRST_CAPACITY recipients on twice as many numbers
  // (so every first open takes a free number, utilisation below half). The warm-up takes the first
  // fifth of the first pool's recipients, the run the rest of them and then the second pool's (a pool
  // holds at most 20,000 numbers): runs faster than ~1,000 first opens a second went on to the
  // second pool instead of wrapping to recipients already opened.
  const first = [];
  for (let r = 0; r < rounds; r++) {
    const halves = [];
    for (const [name, a, b] of [[`first-${r}`, `41556${r}`, `41557${r}`], [`first-${r}b`, `41558${r}`, `41559${r}`]]) {
      await pool(name, [...numbers(a, FIRST_CAPACITY), ...numbers(b, FIRST_CAPACITY)]);
      halves.push(await tokens(name, "bench", ids("first", FIRST_CAPACITY)));
    }
    const cut = Math.floor(halves[0].length / 5);
    first.push({ warm: halves[0].slice(0, cut), run: [...halves[0].slice(cut), ...halves[1]] });
  }
  log(`seeded: ${reopen.length} re-open, ${pixel.length} pixel, ${machine.length} machine, ${rounds}×2×${FIRST_CAPACITY} first-open tokens`);

  // A wrk script cycling through `paths` (one wrk thread, so one Lua state: no path twice until wrapped).
  let scripts = 0;
  const script = (paths) => cyclingScript(join(work, `paths-${scripts++}.lua`), paths);
  const cycle = (prefix, suffix, list) => script(list.map((t) => `${prefix}${t}${suffix}`));
  const keys = (route) => cycle(`/${route}/`, "", ids("k", 5000));
  const counter = { ref: 0 };

  // Routes: label, base URL, user agent, the wrk script (or path) for the warm-up and for the run
  // of round r, and how many distinct paths a run may take before wrapping (first opens only).
  const routes = [
    { id: "root", label: "ringmark `GET /` (no object)", url: base, path: "/" },
    { id: "pixel", label: "ringmark `/o/{token}.gif` pixel (open recorded after the response)", url: base, script: () => cycle("/o/", ".gif", pixel) },
    { id: "first", label: "ringmark `/n/{token}.png` first open (allocates)", url: base, warm: (r) => cycle("/n/", ".png", first[r].warm), script: (r) => cycle("/n/", ".png", first[r].run), limit: (r) => first[r].run.length },
    { id: "reopen", label: "ringmark `/n/{token}.png` re-open (renews)", url: base, script: () => cycle("/n/", ".png", reopen) },
    { id: "reopen-hot", label: "ringmark `/n/{token}.png` re-open, 200 recipients (their images fit the render cache)", url: base, script: () => cycle("/n/", ".png", reopen.slice(0, 200)) },
    { id: "machine", label: "ringmark `/n/{token}.png` machine open (Gmail image proxy)", url: base, ua: UA.gmailProxy, script: () => cycle("/n/", ".png", machine) },
    { id: "ref-root", label: "reference `GET /` (no object)", url: ref, path: "/" },
    { id: "ref-rpc", label: "reference: 1 SQL insert in the object by RPC (`stub.record()`)", url: ref, script: () => keys(`rpc/r${counter.ref++}`) },
    { id: "ref-fetch", label: "reference: 1 SQL insert in the object by `stub.fetch()`", url: ref, script: () => keys(`fetch/f${counter.ref++}`) },
    { id: "ref-rpc0", label: "reference: RPC to the object, no write", url: ref, script: () => keys(`rpc0/r${counter.ref++}`) },
    { id: "ref-fetch0", label: "reference: `stub.fetch()` to the object, no write", url: ref, script: () => keys(`fetch0/f${counter.ref++}`) },
  ].filter((r) => (process.env.ROUTES ? true : r.id !== "reopen-hot")).filter((r) => !process.env.ROUTES || ["root", "ref-rpc", ...process.env.ROUTES.split(",")].includes(r.id));
  if (withEntry) routes.push({ id: "entry-root", label: "ringmark `GET /` through Miniflare's entry worker", url: entry, path: "/" });

  const wrk = (route, secs, file) => {
    const target = route.path ? [`${route.url}${route.path}`] : ["-s", file, route.url];
    const r = spawnSync(
      "wrk",
      ["-t1", `-c${CONNECTIONS}`, `-d${secs}s`, "--latency", "--timeout", "10s",
       "-H", `User-Agent: ${route.ua ?? UA.desktop}`, "-H", `CF-Connecting-IP: ${IP}`, ...target],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(r.stderr);
    const ms = (s) => {
      const m = s?.match(/^([\d.]+)(us|ms|s)$/);
      return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN;
    };
    const pick = (p) => ms(r.stdout.match(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m"))?.[1]);
    return {
      rps: Number(r.stdout.match(/Requests\/sec:\s+(\S+)/)?.[1]),
      p50: pick(50),
      p99: pick(99),
      requests: Number(r.stdout.match(/(\d+) requests in/)?.[1]),
      bad: Number(r.stdout.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0) + Number(r.stdout.match(/Socket errors:.*timeout (\d+)/)?.[1] ?? 0),
    };
  };

  // workerd's CPU time so far (user + system, ms), from /proc: CPU per request is steadier than
  // req/s on a shared machine, where another user's load takes cores from wrk and workerd alike.
  const workerdPid = spawnSync("pgrep", ["-P", String(process.pid), "-x", "workerd"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
  const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
  const cpuMs = () => {
    try {
      const fields = readFileSync(`/proc/${workerdPid}/stat`, "utf8").split(") ")[1].split(" ");
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond; // utime, stime
    } catch {
      return NaN;
    }
  };

  // Opens recorded in the main pool (pixel opens land after their responses).
  // Retried: after a run of 20 s or more, Node's kept-alive admin connection has been idle that long
  // and workerd may have closed it as the request goes out ("other side closed"); a GET is safe to repeat.
  const opens = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await api(base, "GET", "/v1/pools/bench")).body.opens.total;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
  };
  // Waits until the main pool's open count stops moving: no pixel open of a run still queued when the next starts.
  const settle = async () => {
    const started = Date.now();
    let last = await opens();
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await opens();
      if (now === last) return Date.now() - started;
      last = now;
    }
  };

  // The fsync time where the objects keep their SQLite files.
  const fsyncMs = (() => {
    mkdirSync(state, { recursive: true });
    const fd = openSync(join(state, "fsync-probe"), "w");
    const ts = [];
    for (let i = 0; i < 100; i++) {
      writeSync(fd, Buffer.alloc(4096, 1));
      const t = performance.now();
      fsyncSync(fd);
      ts.push(performance.now() - t);
    }
    closeSync(fd);
    rmSync(join(state, "fsync-probe"));
    return ts.sort((a, b) => a - b)[50];
  })();
  log(`object storage in ${state} (${onDisk ? "disk" : "tmpfs"}), fsync p50 ${fsyncMs.toFixed(2)} ms`);
  const results = [];
  log(`load ${loadavg().map((x) => x.toFixed(2)).join(" ")}; ${cpus().length} cpus; ${rounds} rounds × ${routes.length} routes × (${WARM_SECONDS}+${seconds}) s`);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? routes : [...routes].reverse();
    for (const route of order) {
      wrk(route, WARM_SECONDS, route.warm ? route.warm(r) : route.script?.(r));
      await settle();
      const before = route.id === "pixel" ? await opens() : 0;
      const cpuBefore = cpuMs();
      const run = wrk(route, seconds, route.script?.(r));
      const drainMs = await settle();
      // The drain is counted: a pixel's open is recorded after its response, and that is its cost too.
      const cpuUs = ((cpuMs() - cpuBefore) * 1000) / run.requests;
      const row = { round: r + 1, route: route.id, ...run, drainMs, cpuUs };
      if (route.id === "pixel") row.recorded = (await opens()) - before;
      if (route.limit && run.requests > route.limit(r)) row.wrapped = true;
      results.push(row);
      log(JSON.stringify(row));
    }
  }
  const refCount = await (await fetch(`${ref}/count`)).text();
  log(`reference object holds ${refCount} rows; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  // Per round: ratios to ringmark's GET / and to the reference's RPC insert; medians over rounds.
  const median = (xs) => {
    const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const of = (r, id) => results.find((x) => x.round === r && x.route === id);
  const table = [];
  for (const route of routes) {
    const rows = results.filter((x) => x.route === route.id);
    const ratio = (base, field) => median(rows.map((x) => x[field] / of(x.round, base)[field]));
    table.push({
      route: route.label,
      rps: median(rows.map((x) => x.rps)),
      p50: median(rows.map((x) => x.p50)),
      p99: median(rows.map((x) => x.p99)),
      rootRps: ratio("root", "rps"),
      rootP50: ratio("root", "p50"),
      rootP99: ratio("root", "p99"),
      floorRps: ratio("ref-rpc", "rps"),
      floorP50: ratio("ref-rpc", "p50"),
      floorP99: ratio("ref-rpc", "p99"),
      cpuUs: median(rows.map((x) => x.cpuUs)),
      floorCpu: ratio("ref-rpc", "cpuUs"),
      bad: rows.reduce((a, x) => a + x.bad, 0),
      wrapped: rows.some((x) => x.wrapped),
    });
  }
  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");
  console.log("| route | req/s | p50 | p99 | req/s ÷ `GET /` | p50 ÷ `GET /` | p99 ÷ `GET /` | req/s ÷ floor | p50 ÷ floor | p99 ÷ floor | workerd CPU per request | CPU ÷ floor's |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const t of table) {
    console.log(
      `| ${t.route}${t.bad ? ` (${t.bad} bad)` : ""}${t.wrapped ? " (tokens wrapped)" : ""} | ${f(t.rps, 0)} | ${f(t.p50)} ms | ${f(t.p99)} ms | ${f(t.rootRps)} | ${f(t.rootP50)} | ${f(t.rootP99)} | ${f(t.floorRps)} | ${f(t.floorP50)} | ${f(t.floorP99)} | ${f(t.cpuUs, 0)} µs | ${f(t.floorCpu)} |`,
    );
  }
  if (results.some((x) => x.route === "ref-fetch")) {
    const rpcVsFetch = (field) => median([...new Set(results.map((x) => x.round))].map((r) => of(r, "ref-fetch")[field] / of(r, "ref-rpc")[field]));
    console.log(
      `\nfetch ÷ RPC (reference, median of per-round ratios): req/s ${f(rpcVsFetch("rps"))}, p50 ${f(rpcVsFetch("p50"))}, p99 ${f(rpcVsFetch("p99"))}`,
    );
  }
  const px = results.filter((x) => x.route === "pixel");
  console.log(
    `pixel opens recorded ÷ pixel responses: ${px.map((x) => `${x.recorded}/${x.requests}`).join(", ")}; drain after the run: ${px.map((x) => `${(x.drainMs / 1000).toFixed(1)} s`).join(", ")}`,
  );
  console.log(`\nper run:\n${results.map((x) => JSON.stringify(x)).join("\n")}`);
} finally {
  await dispose();
}
