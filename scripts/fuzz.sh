#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (cargo-fuzz, libFuzzer) for FUZZ_SECONDS each (default 600),
# one after another, and prints each target's final exec count. Needs a nightly toolchain;
# installs cargo-fuzz (crates.io) when it is missing.
#
#   FUZZ_SECONDS=60 make fuzz              # a minute each
#   FUZZ_TARGETS="token e164" make fuzz    # some targets only
#
# Corpora grow in fuzz/corpus/<target> (gitignored) and carry over between runs; the
# committed fuzz/regressions/<target>/ inputs (past crashes) are replayed first. A crash
# leaves its input in fuzz/artifacts/<target>/ (gitignored); logs are in fuzz/logs/.
# Targets are built with debug assertions and overflow checks (`-a`), like `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-600}
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "make fuzz: no nightly Rust toolchain; cargo-fuzz (libFuzzer) needs one." >&2
  echo "  Install it with: rustup toolchain install nightly --profile minimal" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "make fuzz: installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked
fi

targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
echo "make fuzz: building the targets (release, debug assertions, AddressSanitizer)"
cargo +nightly fuzz build -a
mkdir -p fuzz/logs
failed=()
for target in $targets; do
  mkdir -p "fuzz/corpus/$target"
  dirs=("fuzz/corpus/$target")
  [ -d "fuzz/regressions/$target" ] && dirs+=("fuzz/regressions/$target")
  # The request-sequence targets decode long inputs into many steps: let inputs be long
  # from the start instead of growing from a few bytes.
  extra=()
  case $target in email_path | admin_api) extra=(-len_control=0) ;; esac
  log="fuzz/logs/$target.log"
  echo "== $target: ${seconds}s (log $log)"
  if cargo +nightly fuzz run -a "$target" "${dirs[@]}" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
    status=ok
  else
    status="FAILED (see $log and fuzz/artifacts/$target/)"
    failed+=("$target")
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
  grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$log" | tail -n 2 || true
  grep -E 'panicked at|^SUMMARY' "$log" | head -n 2 || true
  echo "   $target: $status"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "make fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi
echo "make fuzz: every target ran ${seconds}s without a crash"
