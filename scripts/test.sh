#!/usr/bin/env bash
# The whole suite, twice: on the embedded SQLite default, then on a throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || true)}"

echo "== pass 1: SQLite"
$PY -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" "$@"

echo "== pass 2: PostgreSQL"
source scripts/pg.sh
pg_start
trap pg_stop EXIT
LINEAGE_TEST_DATABASE_URL="$PG_URL" $PY -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" "$@"
