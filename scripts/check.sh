#!/usr/bin/env bash
# The static checks, each under a header: lint, format, the room contracts (imports and reports'
# writes), types against the shrinking baseline, the content files and the translation catalogues.
# Runs them all, then exits 1 when any failed. Needs the development install (scripts/install.sh --dev).
# .ci/run runs this before the tests; CONTRIBUTING.md explains each check.
set -uo pipefail
cd "$(dirname "$0")/.."
export APP_ENV="${APP_ENV:-development}"  # `flask content check` needs no secret key or database
failed=()

check() {
  local name=$1
  shift
  echo "=== check: $name ==="
  if "$@"; then
    echo "--- ok: $name"
  else
    echo "--- FAILED: $name"
    failed+=("$name")
  fi
}

check "ruff check" .venv/bin/ruff check .
check "ruff format" .venv/bin/ruff format --check --output-format concise .
check "import contracts (lint-imports)" .venv/bin/lint-imports --no-logo
check "reports only read" .venv/bin/python scripts/check_reports_writes.py
check "mypy (baseline)" .venv/bin/python scripts/mypy_check.py
check "content" .venv/bin/flask --app wsgi content check
check "translation catalogues" .venv/bin/python scripts/check_catalogue.py

if [ ${#failed[@]} -gt 0 ]; then
  printf 'Static checks failed: %s\n' "$(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')"
  exit 1
fi
echo "Static checks passed."
