#!/usr/bin/env bash
# `make demo`: the gateway with the embedded defaults, the vendor doubles and demo data once the
# gateway exists; until then, the SDK tour.
set -euo pipefail
cd "$(dirname "$0")/.."
if .venv/bin/interlock demo --help >/dev/null 2>&1; then
  exec .venv/bin/interlock demo
fi
exec ./scripts/tour.sh
