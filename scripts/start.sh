#!/usr/bin/env bash
# Quick start: install into .venv, build an SQLite database with the content and demo accounts,
# and serve the platform on http://127.0.0.1:5000 (development server) with a background-job worker
# (`flask jobs worker`: imports, large exports, reminders; its queue is instance/jobs.sqlite3).
# Another address: PORT=8080 bash scripts/start.sh (HOST=0.0.0.0 to listen on every interface).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export APP_ENV="${APP_ENV:-development}"
export PORT="${PORT:-5000}" HOST="${HOST:-127.0.0.1}"
.venv/bin/flask --app wsgi demo   # prints the address below, from PORT and HOST
.venv/bin/flask --app wsgi jobs worker &   # the worker stops with the server (below)
worker=$!
trap 'kill -TERM "$worker" 2>/dev/null; wait "$worker" 2>/dev/null || true' EXIT INT TERM
.venv/bin/flask --app wsgi run --host "$HOST" --port "$PORT"
