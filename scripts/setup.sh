#!/usr/bin/env bash
# Installs everything socmaster needs into this checkout: a Python virtual environment with the
# pinned packages, the front-end assets and Pango (for PDFs) if missing. With --test-deps it also installs, from Debian's
# packages, the PostgreSQL server and Chromium that the test suite drives.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# The plan-on-a-page PDF (WeasyPrint) needs Pango; most Debian machines have it already.
if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then
  log "Installing Pango from Debian's packages (for PDF output)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null
fi

if [ "${1:-}" = "--test-deps" ]; then
  missing=()
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)  # Spark, for the linkage tests
  if [ ${#missing[@]} -gt 0 ]; then
    log "Installing ${missing[*]} from Debian's packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-liberation >/dev/null
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "Creating the virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.socmaster-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  log "Installing Python packages (pinned in pyproject.toml)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c "import django, rest_framework, socmaster" || { echo "Python packages failed to install" >&2; exit 1; }
  touch "$stamp"
fi

if [ ! -f src/socmaster/web/static/vendor/govuk/govuk-frontend.min.css ] || [ ! -f var/test-assets/axe.min.js ] || [ package-lock.json -nt src/socmaster/web/static/vendor/govuk/govuk-frontend.min.css ]; then
  log "Installing front-end assets (GOV.UK Frontend, htmx, Chart.js; axe-core for the tests)"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
  "$VENV/bin/python" scripts/build_assets.py
fi
log "Set-up complete"
