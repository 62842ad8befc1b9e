// The shipped module (pkg/, the same build the Worker and browsers load) in
// fresh Node processes: instantiation, the first number image and the first
// classification after it, and warm renders — medians over several processes.
//   make build && node bench/wasm/first-calls.mjs [processes=9]
// RINGMARK_PKG=/path/to/pkg/ measures another build (bench/wasm/paired.mjs uses it for before/after pairs);
// RINGMARK_PKG=pkg/browser measures the browser package's module.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const PKG = process.env.RINGMARK_PKG
  ? pathToFileURL(process.env.RINGMARK_PKG.replace(/\/?$/, "/"))
  : new URL("../../pkg/", import.meta.url);

async function once() {
  const t0 = performance.now();
  const mod = await import(new URL("ringmark.js", PKG));
  mod.initSync({ module: new WebAssembly.Module(readFileSync(new URL("ringmark_bg.wasm", PKG))) });
  const t1 = performance.now();
  // The Worker's module takes the style as JSON text, the browser package's (pkg/browser) as an object.
  const style = "display_size" in mod ? undefined : "";
  mod.render_number("(415) 555-0199", "text", style);
  const t2 = performance.now();
  mod.classify("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36");
  const t3 = performance.now();
  const warm = (variant) => {
    const times = [];
    for (let i = 0; i < 300; i++) {
      const a = performance.now();
      mod.render_number(`(415) 555-${1000 + i}`, variant, style);
      times.push(performance.now() - a);
    }
    return times.sort((a, b) => a - b)[150] * 1000;
  };
  return { instantiate_ms: t1 - t0, first_render_ms: t2 - t1, first_classify_ms: t3 - t2, warm_text_us: warm("text"), warm_button_us: warm("button") };
}

if (process.argv[2] === "--once") {
  console.log(JSON.stringify(await once()));
} else {
  const n = Number(process.argv[2] ?? 9);
  const runs = [];
  for (let i = 0; i < n; i++) {
    runs.push(JSON.parse(execFileSync(process.execPath, [new URL(import.meta.url).pathname, "--once"], { encoding: "utf8" })));
  }
  const median = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(n / 2)];
  const range = (k) => `${Math.min(...runs.map((r) => r[k])).toFixed(2)}–${Math.max(...runs.map((r) => r[k])).toFixed(2)}`;
  for (const k of Object.keys(runs[0])) console.log(`${k.padEnd(18)} median ${median(k).toFixed(2)}  (range ${range(k)}, ${n} processes)`);
}
