# ringmark — the two commands of the quick start, and the steps behind them.
#   make serve   install what is missing, build, serve the worker on 127.0.0.1:8787 with a demo pool
#   make test    install what is missing and run every test
# Other targets: build, lint, test-native, test-wasm, test-e2e, test-www, test-browser-pkg, conformance, bench,
# device-models (regenerate the device-model table), fuzz (every fuzz target for FUZZ_SECONDS,
# default 600, each; needs a nightly toolchain; not part of `make test`), clean.

SHELL := /bin/bash
NODE_BIN := $(CURDIR)/node_modules/node/bin
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# Keep wrangler from phoning home (metrics, error reports, the Request.cf lookup).
export WRANGLER_SEND_METRICS := false
export WRANGLER_SEND_ERROR_REPORTS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false
export WRANGLER_LOG_PATH := $(CURDIR)/.wrangler/logs

.PHONY: tools build serve test lint test-native test-wasm test-e2e test-www test-browser-pkg conformance bench device-models fuzz clean

tools:
	@scripts/tools.sh

build: tools
	@scripts/build.sh

serve: build
	@scripts/serve.sh

test: tools lint test-native test-wasm build test-e2e test-www test-browser-pkg
	@echo "make test: all suites passed"

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p ringmark --lib --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p ringmark-browser -p ringmark-browser-simulate --lib --target wasm32-unknown-unknown -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

test-native:
	cargo test --workspace

test-wasm:
	cargo test -p ringmark --target wasm32-unknown-unknown --test wasm
	WASM_BINDGEN_USE_BROWSER=1 cargo test -p ringmark --target wasm32-unknown-unknown --test wasm

test-e2e:
	node --test --test-concurrency=1 tests/e2e/*.test.mjs

test-www:
	node --test tests/www/*.test.mjs

# The browser package (pkg/browser, from `make build`): installed into a fresh folder, used from
# Node, and its types compiled by tsc --strict.
test-browser-pkg:
	node --test tests/browser-pkg/*.test.mjs

conformance:
	cargo run -q -p ringmark-classify --release --example conformance -- ../shared/corpus

bench:
	@scripts/bench.sh

# Runs each fuzz target in fuzz/ for FUZZ_SECONDS (default 600) seconds, one after another
# (cargo-fuzz on a nightly toolchain; corpora in fuzz/corpus/, crashes in fuzz/artifacts/).
fuzz:
	@scripts/fuzz.sh

# Regenerates data/device-models/device-models.tsv from Matomo's device database (PyPI; ~5 min).
device-models:
	@scripts/device-models.sh

clean:
	cargo clean
	rm -rf pkg www/pkg .wrangler node_modules test-results target-*
