#!/usr/bin/env bash
# Builds the two wasm modules (--target web):
# - the Worker's, from the `ringmark` crate with its `worker` surface, into pkg/ (worker/index.js
#   imports pkg/ringmark.js), with the device-model table beside it (data, LGPL: never compiled
#   in; see data/device-models/README.md);
# - the browser package's two, none of the server: crates/browser (classify, answer, render) and
#   crates/browser-simulate (the sizing simulation, loaded only by pages that simulate), into
#   pkg/browser/ (an npm package: scripts/browser-pkg.mjs), copied into www/pkg for the demo page
#   with the table.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release"
# The root crate is an rlib (see Cargo.toml); its cdylib is asked for here.
cargo rustc --release --target wasm32-unknown-unknown -p ringmark --lib --crate-type cdylib
# --experimental-reset-state-function: worker/index.js re-instantiates the module after a trap
# (__wbg_reset_state), and objects of the trapped instance then throw instead of reading fresh memory.
wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --experimental-reset-state-function \
  --out-dir pkg "$target/ringmark.wasm"
cp data/device-models/device-models.tsv pkg/device-models.tsv

# One cargo run for both browser crates: neither asks for the `worker` feature, so the root
# crate is built once for them.
cargo build --release --target wasm32-unknown-unknown -p ringmark-browser -p ringmark-browser-simulate --lib
rm -rf pkg/browser
wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --out-dir pkg/browser --out-name ringmark "$target/ringmark_browser.wasm"
wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --out-dir pkg/browser --out-name simulate "$target/ringmark_browser_simulate.wasm"
node scripts/browser-pkg.mjs pkg/browser
rm -rf www/pkg && cp -r pkg/browser www/pkg && cp data/device-models/device-models.tsv www/pkg/
# The console (/app/, Workers static assets from public/): both browser modules (the simulator's is
# loaded when the what-if first runs), and uPlot from node_modules.
rm -rf public/app/pkg public/app/vendor && mkdir -p public/app/pkg public/app/vendor
cp pkg/browser/ringmark.js pkg/browser/ringmark_bg.wasm pkg/browser/simulate.js pkg/browser/simulate_bg.wasm \
  public/app/pkg/
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE \
  public/app/vendor/

for wasm in pkg/ringmark_bg.wasm pkg/browser/ringmark_bg.wasm pkg/browser/simulate_bg.wasm; do
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  echo "build: $wasm ${raw} bytes, ${gz} gzipped"
done
