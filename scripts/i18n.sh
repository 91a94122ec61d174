#!/usr/bin/env bash
# Refresh the translation catalogues: extract, update (zh_CN source strings; en translations), compile.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
.venv/bin/pybabel extract -q -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o "$pot" .
for locale in en zh_CN; do
  if [ -f "app/translations/$locale/LC_MESSAGES/messages.po" ]; then
    .venv/bin/pybabel update -q --no-fuzzy-matching -i "$pot" -d app/translations -l "$locale"
  else
    .venv/bin/pybabel init -q -i "$pot" -d app/translations -l "$locale"
  fi
done
.venv/bin/pybabel compile -q -d app/translations --use-fuzzy 2>/dev/null || .venv/bin/pybabel compile -q -d app/translations
rm -f "$pot"
