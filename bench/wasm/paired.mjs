// Before/after pairs of first calls: alternates fresh processes of bench/wasm/first-calls.mjs on another
// build (BASE_PKG, e.g. an older commit's `make build` output) and on this checkout's pkg/, and prints the
// median of the per-pair ratios — on a machine whose speed drifts, the ratio of neighbours is what carries over.
//   make build && node bench/wasm/paired.mjs /path/to/base/pkg [pairs=15]
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const [basePkg, pairsArg] = process.argv.slice(2);
if (!basePkg) {
  console.error("usage: node bench/wasm/paired.mjs BASE_PKG_DIR [pairs]");
  process.exit(2);
}
const pairs = Number(pairsArg ?? 15);
const script = fileURLToPath(new URL("first-calls.mjs", import.meta.url));
const once = (pkg) =>
  JSON.parse(
    execFileSync(process.execPath, [script, "--once"], {
      encoding: "utf8",
      env: { ...process.env, RINGMARK_PKG: pkg ?? "" },
    }),
  );
const keys = ["instantiate_ms", "first_render_ms", "first_classify_ms", "warm_text_us", "warm_button_us"];
const base = [];
const now = [];
for (let i = 0; i < pairs; i++) {
  // Alternate which build goes first, so a drift inside a pair does not favour one side.
  if (i % 2) {
    base.push(once(basePkg));
    now.push(once(null));
  } else {
    now.push(once(null));
    base.push(once(basePkg));
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
for (const k of keys) {
  const ratio = median(now.map((n, i) => n[k] / base[i][k]));
  console.log(
    `${k.padEnd(18)} base ${median(base.map((r) => r[k])).toFixed(2)}  now ${median(now.map((r) => r[k])).toFixed(2)}  now/base ${ratio.toFixed(3)} (median of ${pairs} pairs)`,
  );
}
