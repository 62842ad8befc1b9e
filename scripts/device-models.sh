#!/usr/bin/env bash
# Regenerates data/device-models/device-models.tsv (see data/device-models/README.md): a venv with PyYAML,
# the pinned device_detector wheel from PyPI (read as a zip, not installed), then generate.py.
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/device-models
mkdir -p "$work"
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check "PyYAML==6.0.3"
fi
wheel="$work/device_detector-6.5.1-py3-none-any.whl"
if [ ! -f "$wheel" ]; then
  "$work/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --dest "$work" "device_detector==6.5.1"
fi
"$work/venv/bin/python" data/device-models/generate.py --wheel "$wheel" --out data/device-models/device-models.tsv
