#!/usr/bin/env bash
# Install everything the suite needs and run it. Extra arguments go to pytest.
# TEST_DATABASE_URL (PostgreSQL) and E2E_DATABASE_URL switch the database; SQLite otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "note: Chromium is missing; browser tests will be skipped (as root this script installs it)." >&2
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
