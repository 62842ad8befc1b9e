#!/usr/bin/env bash
# Installs what ringmark's build and tests need, when it is missing.
# Idempotent: a second run changes nothing and takes a few seconds.
#   - Rust's wasm32-unknown-unknown target (rustup)
#   - wasm-bindgen-cli at exactly the version Cargo.lock pins (cargo install, without --locked:
#     the registry reachable here lacks a pinned dependency of its lockfile)
#   - Node 22, wrangler and playwright-core at the versions package-lock.json pins
#   - Debian's chromium and chromium-driver (browser tests), when running as root;
#     otherwise a message naming what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

need_browser=${NEED_BROWSER:-1}

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "tools: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ -z "$wbg" ]; then echo "tools: cannot read wasm-bindgen's version from Cargo.lock" >&2; exit 1; fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg" ]; then
  echo "tools: installing wasm-bindgen-cli $wbg (about 3 minutes, once)"
  cargo install wasm-bindgen-cli --version "$wbg" --force
fi

if [ ! -x node_modules/node/bin/node ] || [ ! -x node_modules/.bin/wrangler ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "tools: installing Node 22, wrangler and playwright-core (versions from package-lock.json)"
  # Not `npm ci`: the registry reachable here lacks workerd's macOS/Windows/arm
  # builds, so the lockfile cannot list them and `npm ci` refuses it as out of
  # sync. `npm install` with the committed lockfile installs exactly its versions
  # (and leaves it unchanged; checked).
  npm install --no-audit --no-fund --loglevel=error
fi

if [ "$need_browser" = 1 ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  if [ "$(id -u)" = 0 ]; then
    echo "tools: installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # The first install sometimes loses a temp file mid-way; a second run succeeds.
    apt-get install -y -qq chromium chromium-driver >/dev/null \
      || apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "tools: browser tests need Chromium and its driver: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi
