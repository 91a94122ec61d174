"""The export layout is one declarative table (app.reports.exports.COLUMNS), and it is the documented one.

CHANGELOG.md records the layout contract: the first release's table and, for every column added since,
its row (number, header, content) under *CSV/XLSX export layout*. The CSV header row must be exactly
that list, in that order (the typed XLSX layout has its own table: tests/test_xlsx_typed.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from app.reports import exports

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| (\d+) \| (.+?) \| (.+?) \|$", re.M)


def documented_layout() -> list[tuple[str, str]]:
    """(header, content) of every column in CHANGELOG.md's layout tables, by column number."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.findall(r"^### CSV/XLSX export layout\n(.*?)(?=^##)", changelog + "\n##", re.M | re.S)
    rows = {int(number): (header, content) for section in sections for number, header, content in ROW.findall(section)}
    assert sorted(rows) == list(range(1, len(rows) + 1)), f"column numbers must run 1..n: {sorted(rows)}"
    return [rows[number] for number in sorted(rows)]


def test_the_header_row_is_the_documented_list():
    assert [header for header, _ in documented_layout()] == exports.HEADER


def test_each_column_says_what_the_documentation_says():
    assert [(c.header, c.content) for c in exports.COLUMNS] == documented_layout()


def test_columns_have_unique_keys_and_headers():
    keys = [c.key for c in exports.COLUMNS]
    assert len(set(keys)) == len(keys) and len(set(exports.HEADER)) == len(exports.HEADER)
