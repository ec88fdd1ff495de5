#!/usr/bin/env bash
# Lineage vs Datasette, one command: installs what is missing (the `bench` extra, Debian's wrk),
# generates the corpus if its file is missing, serves both on loopback, loads them, prints the
# Markdown table, and stops everything it started (also on Ctrl-C or kill).
#
#   bench/run.sh                      # scale 1 (20,000 documents)
#   SCALES="1 10" bench/run.sh        # also 10x (generated once, ~5 min, ~1.7 GB)
#   bench/run.sh --duration 30 --api  # any bench/load.py option
#   COLD=1 bench/run.sh               # the cold mode instead: bench/cold.py (options go to it)
#   PG=1 COLD=1 bench/run.sh          # the cold mode on PostgreSQL too: a throwaway cluster (scripts/pg.sh,
#                                     # on PG_PORT) holding the file's rows, `lineage serve --workers 2`
#                                     # (WORKERS), beside SQLite served the same way in the same run
#
# Each scale is loaded twice: both servers as shipped (Lineage's page cache on, so after the
# warm-up every sampled URL is a hit), then Lineage alone with the cache off, which is what a
# request costs when its page is not in the cache (results-<scale>-nocache.json).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALES="${SCALES:-1}"
PY=.venv/bin/python

if [ ! -x .venv/bin/datasette ] || [ ! -x .venv/bin/py-spy ]; then
  .venv/bin/pip install --quiet -e ".[bench]"
fi
if [ -z "${COLD:-}" ] && ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q wrk; else sudo apt-get install -y -q wrk; fi
fi

child=""
cleanup() {
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then kill -TERM "$child"; wait "$child" || true; fi
  if declare -F pg_stop >/dev/null; then pg_stop; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

if [ -n "${PG:-}" ]; then
  [ -n "${COLD:-}" ] || { echo "PG=1 goes with COLD=1 (the cold mode)" >&2; exit 2; }
  source scripts/pg.sh
  pg_start
fi

for scale in $SCALES; do
  if [ ! -f "bench/out/lineage-$scale.db" ]; then
    "$PY" bench/generate.py --scale "$scale" &
    child=$!; wait "$child"; child=""
  fi
  # the corpus files from before migration 0004 get its index (Datasette is given it too)
  LINEAGE_DATABASE_URL="sqlite:///bench/out/lineage-$scale.db" .venv/bin/lineage migrate
  if [ -n "${PG:-}" ]; then
    # the same rows in PostgreSQL, one database per scale; Lineage served alike on both
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "lineage_$scale"
    pg_url="postgresql://postgres@127.0.0.1:$PG_PORT/lineage_$scale"
    "$PY" bench/generate.py --scale "$scale" --database-url "$pg_url" &
    child=$!; wait "$child"; child=""
    workers="${WORKERS:-2}"
    sqlite_json="bench/out/cold-$scale-sqlite-w$workers.json"
    "$PY" bench/cold.py --scale "$scale" --workers "$workers" --json-out "$sqlite_json" "$@" &
    child=$!; wait "$child"; child=""
    "$PY" bench/cold.py --scale "$scale" --workers "$workers" --database-url "$pg_url" \
      --db-server-pid "$(head -n 1 "$PG_DIR/data/postmaster.pid")" --beside "$sqlite_json" "$@" &
    child=$!; wait "$child"; child=""
    continue
  fi
  if [ -n "${COLD:-}" ]; then
    # every sampled URL once, no warm-up, page cache off, Datasette in the same run
    "$PY" bench/cold.py --scale "$scale" "$@" &
    child=$!; wait "$child"; child=""
    continue
  fi
  "$PY" bench/load.py --scale "$scale" "$@" &
  child=$!; wait "$child"; child=""
  LINEAGE_PAGE_CACHE_MB=0 "$PY" bench/load.py --scale "$scale" --only lineage --no-check \
    --json-out "bench/out/results-$scale-nocache.json" "$@" &
  child=$!; wait "$child"; child=""
done
