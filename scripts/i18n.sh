#!/usr/bin/env bash
# Refresh the translation catalogues: extract, update (zh_CN source strings; en translations), compile.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
.venv/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o "$pot" .
for locale in en zh_CN; do
  if [ -f "app/translations/$locale/LC_MESSAGES/messages.po" ]; then
    .venv/bin/pybabel -q update --no-fuzzy-matching -i "$pot" -d app/translations -l "$locale"
  else
    .venv/bin/pybabel -q init -i "$pot" -d app/translations -l "$locale"
  fi
done
.venv/bin/pybabel -q compile -d app/translations
rm -f "$pot"
