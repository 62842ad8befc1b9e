#!/usr/bin/env bash
# Builds the one wasm module (--target web) that the Worker and browsers share,
# into pkg/, with the device-model table beside it (data, LGPL: never compiled
# in; see data/device-models/README.md), and copies both into www/pkg for the demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --target wasm32-unknown-unknown -p ringmark --lib
# --experimental-reset-state-function: worker/index.js re-instantiates the module after a trap
# (__wbg_reset_state), and objects of the trapped instance then throw instead of reading fresh memory.
wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --experimental-reset-state-function \
  --out-dir pkg "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/ringmark.wasm"
cp data/device-models/device-models.tsv pkg/device-models.tsv
rm -rf www/pkg && cp -r pkg www/pkg
# The console (/app/, Workers static assets from public/): the same module, and uPlot from node_modules.
rm -rf public/app/pkg public/app/vendor && mkdir -p public/app/pkg public/app/vendor
cp pkg/ringmark.js pkg/ringmark_bg.wasm public/app/pkg/
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE \
  public/app/vendor/
raw=$(stat -c %s pkg/ringmark_bg.wasm)
gz=$(gzip -9 -c pkg/ringmark_bg.wasm | wc -c)
echo "build: pkg/ringmark_bg.wasm ${raw} bytes, ${gz} gzipped"
