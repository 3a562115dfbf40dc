#!/usr/bin/env bash
# The one-time set-up behind `npm start` and `npm test` on a fresh machine: npm packages, the Temporal CLI, and
# (for tests) a real PostgreSQL. Every step is skipped when already done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages..." >&2
  # `npm install`, not `npm ci`: @swc/core lists optional platform packages (darwin, win32, ...) that the registry
  # reachable here does not serve, so the lock can never list them and `npm ci` refuses it as out of sync.
  npm install --no-audit --no-fund >&2
fi
bash scripts/ensure-temporal.sh
if [ "${1:-}" = "--test" ]; then bash scripts/ensure-postgres.sh; bash scripts/ensure-chromium.sh; bash scripts/ensure-promtool.sh; fi
