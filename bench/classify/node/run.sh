#!/usr/bin/env bash
# Builds the two throwaway wasm crates (outside the workspace), generates their Node bindings, installs
# ua-parser-js from package-lock.json, and runs the side-by-side benchmark.
#   bench/classify/node/run.sh [path/to/ua-dev.tsv] [rounds]
set -euo pipefail
cd "$(dirname "$0")"
NODE="${NODE:-$(command -v node)}"
[ -x ../../../node_modules/node/bin/node ] && NODE="${NODE_OVERRIDE:-../../../node_modules/node/bin/node}"
for crate in wasm-ringmark wasm-woothee; do
  (cd "$crate" && CARGO_TARGET_DIR="$PWD/target" cargo build --quiet --release --target wasm32-unknown-unknown)
  wasm-bindgen --target nodejs --out-dir "pkg/$crate" \
    "$crate/target/wasm32-unknown-unknown/release/bench_${crate//-/_}.wasm"
  echo "$crate: $(wc -c < "pkg/$crate/bench_${crate//-/_}_bg.wasm") bytes wasm, $(gzip -9c "pkg/$crate/bench_${crate//-/_}_bg.wasm" | wc -c) gzipped"
done
npm ci --no-audit --no-fund --silent
"$NODE" bench.js "$@"
