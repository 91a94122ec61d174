"""The glossary: ``courses/glossary.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.content.loader.common import Problem, Reader, read_text

GLOSSARY_FILE = "glossary.yaml"


@dataclass
class GlossaryTermData:
    """One term of ``courses/glossary.yaml``; ``slug`` is its anchor on the glossary page."""

    slug: str
    term: str
    definition: str
    position: int
    line: int | None
    path: str


def load_glossary(path: Path, root: Path, problems: list[Problem]) -> list[GlossaryTermData]:
    """Read ``courses/glossary.yaml``: ``terms:`` a list of {slug, term, definition} in display order."""
    reader = Reader(path, root, problems)
    text = read_text(path, root, problems)
    if text is None:
        return []
    data = reader.parse(text)
    if not isinstance(data, dict):
        if data is not None or not any(p.path == reader.rel for p in problems):
            problems.append(Problem(reader.rel, "must be a mapping with a list of terms under 'terms'", 1))
        return []
    reader.unknown_keys(data, (), {"terms"})
    raw = reader.require(data, (), "terms", list)
    terms: list[GlossaryTermData] = []
    slugs: set[str] = set()
    names: set[str] = set()
    for i, item in enumerate(raw or []):
        term = _term(reader, item, i, slugs, names)
        if term is not None:
            terms.append(term)
    if raw is not None and not raw:
        reader.error(("terms",), "needs at least one term")
    return terms


def _term(reader: Reader, item: Any, i: int, slugs: set[str], names: set[str]) -> GlossaryTermData | None:
    """One term (None when unusable); ``slugs`` and ``names`` collect what was seen so far, for duplicates."""
    tpath = ("terms", i)
    if not isinstance(item, dict):
        reader.error(tpath, "must be a mapping {slug, term, definition}")
        return None
    reader.unknown_keys(item, tpath, {"slug", "term", "definition"})
    slug = reader.require(item, tpath, "slug", str)
    term = reader.text(item, tpath, "term", max_len=80)
    definition = reader.text(item, tpath, "definition", max_len=2000)
    if slug is not None and reader.slug(slug, (*tpath, "slug")):
        if slug in slugs:
            reader.error((*tpath, "slug"), f"duplicate term slug '{slug}'")
        slugs.add(slug)
    if term is not None:
        if term in names:
            reader.error((*tpath, "term"), f"duplicate term '{term}'")
        names.add(term)
    if slug is None or term is None or definition is None:
        return None
    return GlossaryTermData(slug, term, definition, i, reader.line_of(tpath), reader.rel)
