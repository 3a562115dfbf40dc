#!/usr/bin/env bash
# Puts the Temporal server (`temporal-server`) and its SQL tool (`temporal-sql-tool`) of the version `npm run
# test:cluster` proves at .tools/bin/, building them from the Go module proxy when missing (no prebuilt binary can be
# downloaded on these machines), cached per machine outside the clone like the CLI (scripts/ensure-temporal.sh).
# The build also leaves the server's PostgreSQL schema and sample configs in the Go module cache; this script
# checks they are there and, with --print-module-dir, prints that directory (scripts/cluster/ reads them from it).
set -euo pipefail
VERSION="1.30.4" # newest server whose go.mod has no replace directive and needs no newer Go than 1.26.8
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
CACHE_DIR="${SENTINEL_TOOLS_CACHE:-$HOME/.cache/backup-sentinel}/temporal-server-$VERSION"

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [ -x "$candidate" ] && export PATH="$(dirname "$candidate"):$PATH" && break
  done
fi

has_version() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "version $VERSION"; }

build() { # $1: package path inside go.temporal.io/server, $2: binary name go install gives
  if has_version "$CACHE_DIR/$2"; then return; fi
  command -v go >/dev/null 2>&1 || { echo "ensure-temporal-server: Go >= 1.25.8 (the go directive of server v1.30.4) is required to build the Temporal server (not found on PATH)" >&2; exit 1; }
  echo "ensure-temporal-server: building go.temporal.io/server/$1@v$VERSION from the Go module proxy (first time only; about 10 minutes)..." >&2
  mkdir -p "$CACHE_DIR"
  CGO_ENABLED=0 GOBIN="$CACHE_DIR" go install "go.temporal.io/server/$1@v$VERSION"
}

mkdir -p "$BIN_DIR"
for pair in "cmd/server:server:temporal-server" "cmd/tools/sql:sql:temporal-sql-tool"; do
  IFS=: read -r package built target <<<"$pair"
  if has_version "$BIN_DIR/$target"; then continue; fi
  build "$package" "$built"
  cp "$CACHE_DIR/$built" "$BIN_DIR/$target"
done

# The schema and configs come with the module source. The cached binaries may predate a cleaned module cache:
# `go mod download` brings the source back without a rebuild.
command -v go >/dev/null 2>&1 || { echo "ensure-temporal-server: Go is required to locate the server's schema in the module cache" >&2; exit 1; }
MODULE_DIR="$(go env GOMODCACHE)/go.temporal.io/server@v$VERSION"
if [ ! -d "$MODULE_DIR/schema/postgresql/v12/temporal/versioned" ]; then
  (cd "$(mktemp -d)" && go mod download "go.temporal.io/server@v$VERSION")
fi
for needed in schema/postgresql/v12/temporal/versioned schema/postgresql/v12/visibility/versioned \
  config/development-postgres12.yaml config/dynamicconfig/development-sql.yaml; do
  [ -e "$MODULE_DIR/$needed" ] || { echo "ensure-temporal-server: $MODULE_DIR/$needed is missing" >&2; exit 1; }
done
if [ "${1:-}" = "--print-module-dir" ]; then echo "$MODULE_DIR"; fi
