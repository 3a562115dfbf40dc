#!/usr/bin/env bash
# Makes sure `promtool` is on PATH for the tests of the shipped Prometheus rules and Grafana dashboard
# (test/unit/platform/prometheus-rules.test.ts): Debian's `prometheus` package ships it. Idempotent.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then exit 0; fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "ensure-promtool: need root to $*" >&2; exit 1; fi; }
echo "ensure-promtool: installing Debian's prometheus (for promtool)..." >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v promtool >/dev/null 2>&1 || { echo "ensure-promtool: promtool still not found after installing prometheus" >&2; exit 1; }
