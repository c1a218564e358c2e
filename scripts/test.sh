#!/usr/bin/env bash
# Runs the whole test suite: lint, every test on SQLite (browser tests included), then the same
# suite against a real PostgreSQL server started on loopback for the run.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export PATH="$PWD/$VENV/bin:$PATH"
export SOCMASTER_VAR_DIR="${SOCMASTER_VAR_DIR:-$(mktemp -d /tmp/socmaster-test-XXXX)}"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
start=$(date +%s)

log "Lint and formatting (ruff)"
ruff check .
ruff format --check .

log "Test suite on SQLite (with headless Chromium)"
pytest -q "$@"

log "Test suite on PostgreSQL"
trap 'scripts/pg.sh stop' EXIT
DATABASE_URL="$(scripts/pg.sh start)"
export DATABASE_URL
pytest -q -m "not browser and not spark" "$@"

log "All tests passed in $(( $(date +%s) - start )) s"
