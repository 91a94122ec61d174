#!/usr/bin/env python3
"""Check the translation catalogues: every interface string has an English translation, compiled.

1. ``pybabel extract`` (the keywords of scripts/i18n.sh) into a temporary .pot;
2. every msgid there must have a non-fuzzy translation in app/translations/en/…/messages.po;
3. each locale's compiled messages.mo must hold exactly the .po file's translations (a stale .mo
   means someone edited the .po and forgot ``pybabel compile -d app/translations``).

Simplified Chinese is the source language, so zh_CN needs no translations, only a current .mo.
Fix a failure with ``bash scripts/i18n.sh`` (extract, update, compile), then translate the new
entries of the English .po and run it again. tests/test_i18n.py runs the same checks.

Usage: ``python scripts/check_catalogue.py`` — exit status 1 lists the problems.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "app" / "translations"
TRANSLATED = ("en",)  # locales that must translate every string (zh_CN is the source language)
KEYWORDS = ("_l", "lazy_gettext")  # besides pybabel's defaults (_, gettext, ngettext, pgettext, …)

Key = tuple[str | None, str]  # (msgctxt, msgid); a plural entry is keyed by its singular


def _key(message_id: object, context: str | None) -> Key:
    singular = message_id[0] if isinstance(message_id, list | tuple) else message_id
    return (context, str(singular))


def po_path(locale: str) -> Path:
    """The .po file of a locale."""
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def extract(pot: Path) -> None:
    """Run ``pybabel extract`` over the repository (babel.cfg) into ``pot``."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    command = [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg"]
    subprocess.run([*command, *keywords, "-o", str(pot), "."], cwd=ROOT, check=True)  # noqa: S603


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def wanted_messages(pot: Path) -> set[Key]:
    """The (context, msgid) pairs the code and templates use."""
    return {_key(m.id, m.context) for m in _read_po(pot) if m.id}


def untranslated(wanted: set[Key], locale: str = "en") -> list[str]:
    """The wanted msgids without a (non-fuzzy) translation in the locale's .po file."""
    translated = {
        _key(m.id, m.context)
        for m in _read_po(po_path(locale))
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, list | tuple) else m.string)
    }
    return sorted(f"{ctx}|{msgid}" if ctx else msgid for ctx, msgid in wanted - translated)


def stale_compiled(locale: str) -> list[str]:
    """Differences between a locale's .po translations and its compiled .mo (empty when current)."""
    po_file = po_path(locale)
    mo_file = po_file.with_suffix(".mo")
    if not mo_file.exists():
        return [f"{mo_file.relative_to(ROOT)} is missing"]
    po = {_key(m.id, m.context): m.string for m in _read_po(po_file) if m.id and m.string and not m.fuzzy}
    with mo_file.open("rb") as handle:
        mo = {_key(m.id, m.context): m.string for m in read_mo(handle) if m.id}
    problems = []
    for key in sorted(po.keys() | mo.keys(), key=lambda k: (k[0] or "", k[1])):
        if po.get(key) != mo.get(key):
            problems.append(f"{mo_file.relative_to(ROOT)}: {key[1]!r} differs from the .po file")
    return problems


def check() -> list[str]:
    """Every problem of the catalogues, as lines to print."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract(pot)
        wanted = wanted_messages(pot)
    for locale in TRANSLATED:
        missing = untranslated(wanted, locale)
        problems += [f"{po_path(locale).relative_to(ROOT)}: no translation for {msgid!r}" for msgid in missing]
    for locale in sorted(p.name for p in TRANSLATIONS.iterdir() if po_path(p.name).exists()):
        problems += stale_compiled(locale)
    return problems


def main() -> int:
    """Print the catalogue problems; exit 1 when there is any."""
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} catalogue problem(s): run `bash scripts/i18n.sh`, translate, and run it again.")
        return 1
    print("Translation catalogues: every string translated, compiled catalogues current.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
