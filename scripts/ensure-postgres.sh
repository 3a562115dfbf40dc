#!/usr/bin/env bash
# Makes sure a real PostgreSQL answers for the integration tests: when neither SENTINEL_TEST_DATABASE_URL nor
# DATABASE_URL names one and nothing listens on 127.0.0.1:5432, installs Debian's postgresql (as root), starts its
# cluster and gives the postgres role the password the tests' default URL uses. Idempotent.
set -euo pipefail
if [ -n "${SENTINEL_TEST_DATABASE_URL:-}${DATABASE_URL:-}" ]; then exit 0; fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "ensure-postgres: need root to $*" >&2; exit 1; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "ensure-postgres: installing Debian's postgresql..." >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
VERSION="$(ls /etc/postgresql | sort -V | tail -n 1)"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$VERSION" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "ensure-postgres: PostgreSQL $VERSION did not start" >&2; exit 1; }
if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
fi
