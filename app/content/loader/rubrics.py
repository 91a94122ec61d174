"""Rubric files: ``quizzes/rubrics/<rubric-slug>.yaml`` — criteria with levels and where they are observable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.content.loader.common import CHANNELS, SLUG_RE, Problem, Reader, read_text
from app.roleplay.enums import AssistantRule


@dataclass
class RubricData:
    """A rubric file."""

    slug: str
    title: str
    definition: dict[str, Any]
    path: str


def load_rubric(path: Path, root: Path, problems: list[Problem]) -> RubricData | None:
    """Read one rubric file."""
    reader = Reader(path, root, problems)
    if not SLUG_RE.match(path.stem):
        problems.append(Problem(reader.rel, f"rubric file name '{path.stem}' is not a slug"))
        return None
    text = read_text(path, root, problems)
    if text is None:
        return None
    data = reader.parse(text)
    if not isinstance(data, dict):
        if data is not None or not any(p.path == reader.rel for p in problems):
            problems.append(Problem(reader.rel, "must be a mapping of fields", 1))
        return None
    reader.unknown_keys(data, (), {"title", "description", "criteria", "double_marking", "assistant"})
    title = reader.text(data, (), "title")
    description = reader.text(data, (), "description", optional=True, max_len=1000)
    raw = reader.require(data, (), "criteria", list)
    criteria: list[dict[str, Any]] = []
    keys: set[str] = set()
    ok = raw is not None and bool(raw)
    if raw is not None and not raw:
        reader.error(("criteria",), "needs at least one criterion")
    for i, crit in enumerate(raw or []):
        cpath = ("criteria", i)
        if not isinstance(crit, dict):
            reader.error(cpath, "must be a mapping {key, title, levels}")
            ok = False
            continue
        criterion, criterion_ok = _criterion(reader, crit, cpath, keys)
        ok = ok and criterion_ok
        criteria.append(criterion)
    if not ok or title is None:
        return None
    definition: dict[str, Any] = {"title": title, "description": description or "", "criteria": criteria}
    double = _double_marking(reader, data)
    if double is not None:
        definition["double_marking"] = double
    rules = _assistant(reader, data, keys)
    if rules:
        definition["assistant"] = rules
    return RubricData(path.stem, title, definition, reader.rel)


def _assistant(reader: Reader, data: dict, criteria: set[str]) -> list[dict[str, str]]:
    """The optional ``assistant:`` list: which assistant rules apply, the criterion each comments on, the module cited."""
    raw = reader.require(data, (), "assistant", list, optional=True)
    rules: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw or []):
        path = ("assistant", i)
        if not isinstance(entry, dict):
            reader.error(path, "must be a mapping {rule, criterion, module, section}")
            continue
        reader.unknown_keys(entry, path, {"rule", "criterion", "module", "section"})
        rule = reader.require(entry, path, "rule", str)
        if rule is None:
            continue
        if rule not in set(AssistantRule):
            reader.error((*path, "rule"), f"unknown rule '{rule}' ({', '.join(AssistantRule)})")
            continue
        if rule in seen:
            reader.error((*path, "rule"), f"rule '{rule}' is listed twice")
        seen.add(rule)
        item = {"rule": rule}
        criterion = reader.require(entry, path, "criterion", str, optional=True)
        if criterion is not None:
            if criterion not in criteria:
                reader.error((*path, "criterion"), f"no criterion '{criterion}' in this rubric")
            item["criterion"] = criterion
        module = reader.require(entry, path, "module", str, optional=True)
        if module is not None:
            course, _, slug = module.partition("/")
            if not (SLUG_RE.match(course) and SLUG_RE.match(slug)):
                reader.error(
                    (*path, "module"), "must be <course-slug>/<module-slug>, e.g. communication-skills/empathy-trust"
                )
            else:
                item["course"], item["module"] = course, slug
        section = reader.text(entry, path, "section", optional=True)
        if section:
            item["section"] = section
        rules.append(item)
    return rules


def _double_marking(reader: Reader, data: dict) -> dict[str, Any] | None:
    """The optional ``double_marking:`` settings: sampled share (%), the gaps that call a moderator, alpha's floor."""
    raw = reader.require(data, (), "double_marking", dict, optional=True)
    if raw is None:
        return None
    path = ("double_marking",)
    reader.unknown_keys(raw, path, {"share", "total_gap", "level_gap", "alpha_floor"})
    settings: dict[str, Any] = {"share": reader.integer(raw, path, "share", 0, 100)}
    for key in ("total_gap", "level_gap"):
        value = reader.integer(raw, path, key, 1, 100, optional=True)
        if value is not None:
            settings[key] = value
    floor = reader.require(raw, path, "alpha_floor", (int, float), optional=True)
    if floor is not None:
        if not 0 <= floor <= 1:
            reader.error((*path, "alpha_floor"), "must be between 0 and 1")
        else:
            settings["alpha_floor"] = float(floor)
    return settings if settings["share"] is not None else None


def _criterion(reader: Reader, crit: dict, cpath: tuple, keys: set[str]) -> tuple[dict[str, Any], bool]:
    """One criterion and whether it is usable; ``keys`` collects the criterion keys seen so far."""
    reader.unknown_keys(crit, cpath, {"key", "title", "description", "levels", "observable"})
    observable = _observable(reader, crit, cpath)
    key = reader.require(crit, cpath, "key", str)
    if key is not None:
        if not SLUG_RE.match(key):
            reader.error((*cpath, "key"), f"{key!r} is not a slug")
        if key in keys:
            reader.error((*cpath, "key"), f"duplicate criterion key '{key}'")
        keys.add(key)
    ctitle = reader.text(crit, cpath, "title")
    levels = reader.require(crit, cpath, "levels", list)
    parsed, ok = _levels(reader, levels, cpath)
    if None in (key, ctitle, levels):
        ok = False
    criterion = {"key": key, "title": ctitle, "description": crit.get("description") or "", "levels": parsed}
    if observable is not None:
        criterion["observable"] = observable
    return criterion, ok


def _levels(reader: Reader, levels: list | None, cpath: tuple) -> tuple[list[dict[str, Any]], bool]:
    """A criterion's levels (points strictly increasing) and whether they are usable."""
    parsed: list[dict[str, Any]] = []
    ok = True
    if levels is not None and len(levels) < 2:
        reader.error((*cpath, "levels"), "needs at least two levels")
        ok = False
    for j, level in enumerate(levels or []):
        lpath = (*cpath, "levels", j)
        if not isinstance(level, dict):
            reader.error(lpath, "must be a mapping {points, title, text}")
            ok = False
            continue
        reader.unknown_keys(level, lpath, {"points", "title", "text"})
        points = reader.integer(level, lpath, "points", 0, 100)
        ltitle = reader.text(level, lpath, "title")
        ltext = reader.text(level, lpath, "text", max_len=1000)
        if points is None or ltitle is None or ltext is None:
            ok = False
            continue
        if parsed and points <= parsed[-1]["points"]:
            reader.error((*lpath, "points"), "points must increase from one level to the next")
        parsed.append({"points": points, "title": ltitle, "text": ltext})
    return parsed, ok


def _observable(reader: Reader, crit: dict, path: tuple) -> list[str] | None:
    """A criterion's optional ``observable`` list: the channels on which a grader can see it."""
    if "observable" not in crit:
        return None
    value = crit["observable"]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        reader.error((*path, "observable"), f"must be a non-empty list of channels ({', '.join(CHANNELS)})")
        return None
    for i, channel in enumerate(value):
        if channel not in CHANNELS:
            reader.error((*path, "observable", i), f"unknown channel '{channel}' ({', '.join(CHANNELS)})")
        elif value.index(channel) != i:
            reader.error((*path, "observable", i), f"channel '{channel}' is listed twice")
    return [v for v in CHANNELS if v in value]
