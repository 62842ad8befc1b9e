// Times the wasm build of ringmark-render in one Node process (see run.sh):
// instantiation (compile + instantiate of the wasm-bindgen module), the first render after it (font
// parse, first allocations, baseline-compiled code), the warm median per case, a cache hit, and bytes.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const RUNS = Number(process.env.RUNS ?? 400);
const number = "(415) 555-0132";

// wasm-bindgen's nodejs glue reads, compiles and instantiates the module synchronously on require.
let t = performance.now();
const wasm = require("./pkg/ringmark_render_bench_wasm.js");
const instantiate = performance.now() - t;

t = performance.now();
const first = wasm.render(number, false, 0);
const firstMs = performance.now() - t;
t = performance.now();
const firstButton = wasm.render(number, true, 0);
const firstButtonMs = performance.now() - t;

if (process.env.COLD_ONLY) {
  console.log(JSON.stringify([instantiate, firstMs, firstButtonMs]));
  process.exit(0);
}

// Cold figures vary with the machine, so take medians over fresh processes.
const COLD = Number(process.env.COLD ?? 9);
const cold = [[instantiate, firstMs, firstButtonMs]];
for (let i = 1; i < COLD; i++) {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, COLD_ONLY: "1" },
  });
  cold.push(JSON.parse(out));
}
const coldMedian = (k) => cold.map((c) => c[k]).sort((a, b) => a - b)[cold.length >> 1].toFixed(2);
console.log(`cold medians over ${COLD} fresh processes:`);
console.log(`  instantiate (read + compile + instantiate): ${coldMedian(0)} ms`);
console.log(`  first render after it, default text:        ${coldMedian(1)} ms (${first.length} B)`);
console.log(`  then the first default button:             ${coldMedian(2)} ms (${firstButton.length} B)`);

function median(f, runs) {
  const samples = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    f();
    samples[i] = performance.now() - s;
  }
  samples.sort();
  return samples[runs >> 1] * 1000; // µs
}

// Warm up the optimising tier before measuring (V8 tiers wasm up in the background).
for (let i = 0; i < 200; i++) wasm.render(number, i % 2 === 1, i % 3);

// Cases are timed round-robin (one render of each per round), so a load spike on a shared machine hits
// every case alike instead of skewing whichever case ran during it.
const styles = ["default", 'label "Call us"', "32px + Turkish label"];
const cases = [];
for (let s = 0; s < styles.length; s++) {
  for (const button of [false, true]) cases.push({ s, button, warm: [], hit: [] });
}
for (const c of cases) wasm.render_cached(number, c.button, c.s);
for (let r = 0; r < RUNS; r++) {
  for (const c of cases) {
    let t0 = performance.now();
    wasm.render(number, c.button, c.s);
    c.warm.push(performance.now() - t0);
    t0 = performance.now();
    wasm.render_cached(number, c.button, c.s);
    c.hit.push(performance.now() - t0);
  }
}
const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1] * 1000; // µs
const rows = cases.map((c) => {
  const [w, h] = wasm.size(number, c.s);
  return {
    case: `${styles[c.s]} / ${c.button ? "Button" : "Text"}`,
    "warm median µs": Math.round(med(c.warm)),
    "cache hit µs": Number(med(c.hit).toFixed(2)),
    bytes: wasm.render(number, c.button, c.s).length,
    "CSS box": `${w}x${h}`,
  };
});
const sizeUs = median(() => wasm.size(number, 0), RUNS * 5);
console.table(rows);
console.log(`display_size (no render): ${sizeUs.toFixed(2)} µs; runs per median: ${RUNS}`);
