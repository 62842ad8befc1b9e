// Where a route's time goes inside workerd: one route under wrk (as floor.mjs loads it) while V8's
// sampling profiler records the ringmark Worker's isolate (its Durable Objects run in the same
// isolate locally), through workerd's inspector. The module is the build `make build` made, given
// back its function names (wasm-bindgen without --remove-name-section, same flags otherwise), so
// Rust functions show by name beside the adapter's JS.
//   node bench/worker/profile.mjs [route=reopen] [seconds=6]
// route: pixel | first | reopen | machine (floor.mjs's routes of the same names). Prints the
// functions with the most samples, self and inclusive (a function's own time, and with everything
// it called), as shares of all samples, and writes the whole profile to
// bench/worker/out/<route>.cpuprofile (open it in Chrome DevTools' Performance panel).
// Profiling slows the isolate; read the shares, not the rate. Needs `make build` first.
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UA } from "../../tests/e2e/worker.mjs";
import { startDirect, root } from "./direct.mjs";
import { putPool, issueTokens, numbers, ids, cyclingScript } from "./seed.mjs";

const route = process.argv[2] ?? "reopen";
const seconds = Number(process.argv[3] ?? 6);
if (!["pixel", "first", "reopen", "machine"].includes(route)) throw new Error(`unknown route ${route}`);
const INSPECTOR_PORT = Number(process.env.INSPECTOR_PORT ?? 9329);
const IP = "203.0.113.7";
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// The module with its names: the same cargo output `make build` bound, bound again keeping them.
const named = mkdtempSync(join(tmpdir(), "ringmark-named-"));
const bind = spawnSync(
  "wasm-bindgen",
  ["--target", "web", "--remove-producers-section", "--experimental-reset-state-function", "--out-dir", named,
   join(root, "target/wasm32-unknown-unknown/release/ringmark.wasm")],
  { encoding: "utf8" },
);
if (bind.status !== 0) throw new Error(`wasm-bindgen: ${bind.stderr}`);

const { base, work, dispose } = await startDirect({ wasm: join(named, "ringmark_bg.wasm"), inspectorPort: INSPECTOR_PORT });
try {
  // As floor.mjs: 1,000 numbers and 800 recipients opened once for re-opens; pixel and machine
  // recipients in the same pool; first opens on a pool with a free number for each of them.
  let paths;
  let ua = UA.desktop;
  if (route === "first") {
    await putPool(base, "first", [...numbers("415560", 10_000), ...numbers("415570", 10_000)]);
    paths = (await issueTokens(base, "first", "bench", ids("first", 10_000))).map((t) => `/n/${t}.png`);
  } else {
    await putPool(base, "bench", numbers("415556", 1000));
    const list = await issueTokens(base, "bench", "bench", ids(route, route === "reopen" ? 800 : 2000));
    if (route === "reopen") {
      for (const t of list) {
        const r = await fetch(`${base}/n/${t}.png`, { headers: { "user-agent": UA.desktop, "cf-connecting-ip": IP } });
        await r.arrayBuffer();
      }
    }
    if (route === "machine") ua = UA.gmailProxy;
    paths = list.map((t) => (route === "pixel" ? `/o/${t}.gif` : `/n/${t}.png`));
  }
  const script = cyclingScript(join(work, "paths.lua"), paths);
  const wrk = (secs) => {
    const r = spawnSync("wrk", ["-t1", "-c16", `-d${secs}s`, "-H", `User-Agent: ${ua}`, "-H", `CF-Connecting-IP: ${IP}`, "-s", script, base], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.match(/Requests\/sec:\s+(\S+)/)?.[1];
  };
  if (route !== "first") wrk(2); // warm-up (first opens would spend their fresh recipients)

  // The ringmark Worker's isolate among workerd's inspector targets.
  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl.endsWith("/core:user:ringmark"));
  if (!target) throw new Error(`no ringmark isolate among ${targets.map((t) => t.webSocketDebuggerUrl)}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const d = JSON.parse(m.data);
    pending.get(d.id)?.(d);
    pending.delete(d.id);
  };
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  await send("Profiler.start");
  const rate = wrk(seconds);
  const { result } = await send("Profiler.stop");
  ws.close();
  const out = join(root, "bench/worker/out");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${route}.cpuprofile`), JSON.stringify(result.profile));
  log(`${route}: ${rate} req/s while profiled; profile in bench/worker/out/${route}.cpuprofile`);
  summarise(result.profile);
} finally {
  await dispose();
  rmSync(named, { recursive: true, force: true });
}

/** Prints the functions with the most samples, self and inclusive, as shares of all samples. */
function summarise(profile, top = 30) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => {
    const f = n.callFrame;
    const fn = (f.functionName || "(anonymous)").replace(/::h[0-9a-f]{16}$/, "");
    return f.url.endsWith(".js") ? `${fn} (${f.url.split("/").pop()}:${f.lineNumber + 1})` : fn;
  };
  const own = new Map();
  const inclusive = new Map();
  const add = (map, k, v) => map.set(k, (map.get(k) ?? 0) + v);
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  for (const [id, c] of counts) {
    add(own, name(nodes.get(id)), c);
    const seen = new Set();
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const n = name(nodes.get(x));
      if (!seen.has(n)) add(inclusive, n, c);
      seen.add(n);
    }
  }
  const total = profile.samples.length;
  const show = (title, map) => {
    console.log(`\n${title} (${total} samples)`);
    for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
    }
  };
  show("self", own);
  show("inclusive", inclusive);
}
