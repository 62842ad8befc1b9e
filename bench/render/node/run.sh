#!/usr/bin/env bash
# Times ringmark-render compiled to wasm, in Node (V8, the engine under Cloudflare Workers).
#
#   bench/render/node/run.sh            # build the throwaway cdylib in ./wasm, bind it, run bench.mjs
#
# The cdylib in ./wasm is outside the Cargo workspace (its own [workspace] table) and uses the root
# crate's release profile settings (opt-level "z", LTO, one codegen unit, panic=abort), so the numbers
# are for the code the Worker ships. Needs the wasm32-unknown-unknown target and wasm-bindgen 0.2.130.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
node="${NODE:-$root/node_modules/node/bin/node}"

cd "$here/wasm"
# Its own target dir (gitignored), whatever the caller exported.
export CARGO_TARGET_DIR="$here/wasm/target"
# Extra `cargo --config` arguments, e.g. per-package opt-level overrides (RESULTS.md compares them):
#   CARGO_CONFIG="profile.release.package.miniz_oxide.opt-level=3" bench/render/node/run.sh
config=()
for c in ${CARGO_CONFIG:-}; do config+=(--config "$c"); done
cargo build --release --target wasm32-unknown-unknown --quiet "${config[@]}"
wasm-bindgen --target nodejs --out-dir "$here/pkg" \
  target/wasm32-unknown-unknown/release/ringmark_render_bench_wasm.wasm
# The repository's package.json says "type": "module"; the nodejs glue is CommonJS.
echo '{ "type": "commonjs" }' > "$here/pkg/package.json"
echo "wasm: $(wc -c < "$here/pkg/ringmark_render_bench_wasm_bg.wasm") bytes," \
  "$(gzip -9 -c "$here/pkg/ringmark_render_bench_wasm_bg.wasm" | wc -c) gzipped; node $("$node" --version)"
exec "$node" "$here/bench.mjs"
