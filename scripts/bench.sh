#!/usr/bin/env bash
# Runs every benchmark; figures go into BENCHMARKS.md by hand, with this command.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p ringmark-classify --bench classify -- "$PWD/../shared/corpus" 9
cargo bench -p ringmark-pool --bench pool
cargo run --release --example backtest
cargo bench -p ringmark-render --bench render
scripts/build.sh
node bench/worker/latency.mjs 10 3
