#!/usr/bin/env bash
# Install into .venv (created when missing): the runtime requirements, or with --dev the development
# ones (tests, linters, import contracts, mypy) plus, as root, Chromium and CJK fonts from Debian's
# packages for the browser tests. Safe to repeat. Used by start.sh, test.sh and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=requirements.txt
if [ "${1:-}" = "--dev" ]; then
  requirements=requirements-dev.txt
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" || [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
    || ! command -v nginx >/dev/null || ! command -v redis-server >/dev/null; then  # nginx, Redis: tests/multihost
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-microhei nginx redis-server >/dev/null
    else
      echo "note: Chromium is missing; browser tests will be skipped (as root this script installs it)." >&2
    fi
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
