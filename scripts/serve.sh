#!/usr/bin/env bash
# Serves the Worker locally in workerd (wrangler dev) with Durable Object
# storage under .wrangler/state, seeds a demo pool, and prints example URLs.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8787}
wrangler dev --ip 127.0.0.1 --port "$port" --persist-to .wrangler/state --log-level warn &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' INT TERM EXIT
node scripts/seed-demo.mjs "http://127.0.0.1:$port"
wait "$pid"
