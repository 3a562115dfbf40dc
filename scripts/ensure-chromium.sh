#!/usr/bin/env bash
# The Web UI test drives Debian's Chromium with playwright-core (no browser download can be fetched here).
# Installs the package when missing; skipped when SENTINEL_CHROMIUM points at a browser.
set -euo pipefail
if [ -n "${SENTINEL_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1; then exit 0; fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "ensure-chromium: need root to install chromium" >&2; exit 1; fi; }
echo "ensure-chromium: installing Debian's chromium for the Web UI test..." >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
