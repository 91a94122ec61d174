#!/usr/bin/env bash
# Quick start: install into .venv, build an SQLite database with the content and demo accounts,
# and serve the platform on http://127.0.0.1:5000 (development server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export APP_ENV="${APP_ENV:-development}"
.venv/bin/flask --app wsgi demo
exec .venv/bin/flask --app wsgi run --host 127.0.0.1 --port "${PORT:-5000}"
