#!/usr/bin/env bash
# Starts (or stops) a throw-away PostgreSQL server on loopback for the test suite.
#   scripts/pg.sh start   -> prints the DATABASE_URL to use
#   scripts/pg.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
PGPORT="${SOCMASTER_TEST_PGPORT:-54329}"
DATA="${SOCMASTER_TEST_PGDATA:-/tmp/socmaster-pgtest-$PGPORT}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

run() {
  # PostgreSQL refuses to run as root: use the postgres account when we are root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    "$0" stop >/dev/null 2>&1 || true
    rm -rf "$DATA"; mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$DATA"
    run "$BIN/initdb" -D "$DATA" -U socmaster --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    run "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PGPORT -k $DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    run "$BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U socmaster socmaster
    echo "postgresql://socmaster@127.0.0.1:$PGPORT/socmaster"
    ;;
  stop)
    [ -d "$DATA" ] && run "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DATA"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
