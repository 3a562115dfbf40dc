#!/usr/bin/env bash
# Puts the Temporal CLI (dev server + Web UI) at .tools/bin/temporal, building it from the Go module proxy when it is
# missing: no prebuilt binary can be downloaded on these machines. The built binary is also cached per machine
# (outside the clone), so a fresh clone on the same machine only copies it.
set -euo pipefail
VERSION="1.5.1" # newest tag whose go.mod has no replace directive (go install refuses those)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
TARGET="$BIN_DIR/temporal"
CACHE_DIR="${SENTINEL_TOOLS_CACHE:-$HOME/.cache/backup-sentinel}/temporal-$VERSION"

has_version() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "$VERSION"; }

if has_version "$TARGET"; then exit 0; fi
mkdir -p "$BIN_DIR"
if has_version "$CACHE_DIR/temporal"; then
  cp "$CACHE_DIR/temporal" "$TARGET"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [ -x "$candidate" ] && export PATH="$(dirname "$candidate"):$PATH" && break
  done
fi
command -v go >/dev/null 2>&1 || { echo "ensure-temporal: Go >= 1.25 is required to build the Temporal CLI (not found on PATH)" >&2; exit 1; }

echo "ensure-temporal: building Temporal CLI v$VERSION from the Go module proxy (first time only; several minutes)..." >&2
mkdir -p "$CACHE_DIR"
CGO_ENABLED=0 GOBIN="$CACHE_DIR" go install \
  -ldflags "-X github.com/temporalio/cli/temporalcli.Version=$VERSION" \
  "github.com/temporalio/cli/cmd/temporal@v$VERSION"
cp "$CACHE_DIR/temporal" "$TARGET"
"$TARGET" --version >&2
