#!/usr/bin/env bash
# Install everything the suite needs and run it. Extra arguments go to pytest.
# TEST_DATABASE_URL (PostgreSQL) and E2E_DATABASE_URL switch the database; SQLite otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
exec .venv/bin/python -m pytest "$@"
