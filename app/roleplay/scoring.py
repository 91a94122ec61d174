"""Rubric arithmetic: pure functions over a rubric version's definition."""

from __future__ import annotations

from typing import Any

from app.roleplay.enums import Verdict


def criteria(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The rubric's criteria in order."""
    return list(definition.get("criteria", []))


def max_points(definition: dict[str, Any]) -> int:
    """The highest reachable total: each criterion's top level."""
    return sum(max(level["points"] for level in c["levels"]) for c in criteria(definition))


def total(definition: dict[str, Any], levels: dict[str, int]) -> int:
    """Sum the points of the chosen level of each criterion (unchosen criteria count 0)."""
    points = 0
    for criterion in criteria(definition):
        index = levels.get(criterion["key"])
        if index is not None:
            points += criterion["levels"][index]["points"]
    return points


def pass_mark(maximum: int, pass_percent: int) -> int:
    """The lowest passing total: pass_percent of the maximum, rounded up."""
    return -(-maximum * pass_percent // 100)


def passed(points: int, maximum: int, pass_percent: int) -> bool:
    """Whether a total reaches pass_percent of the maximum."""
    return points * 100 >= maximum * pass_percent


def verdict(definition: dict[str, Any], levels: dict[str, int], maximum: int, pass_percent: int) -> Verdict:
    """``incomplete`` until every criterion has a level, then ``passed`` or ``failed`` (as ``passed`` decides)."""
    if len(levels) < len(criteria(definition)):
        return Verdict.INCOMPLETE
    return Verdict.PASSED if passed(total(definition, levels), maximum, pass_percent) else Verdict.FAILED


def parse_levels(definition: dict[str, Any], raw: dict[str, Any]) -> tuple[dict[str, int], list[str]]:
    """Read chosen level indexes per criterion key; return them and the keys with bad values."""
    levels: dict[str, int] = {}
    bad: list[str] = []
    for criterion in criteria(definition):
        value = raw.get(criterion["key"])
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            bad.append(criterion["key"])
            continue
        try:
            index = int(value)
        except (TypeError, ValueError):
            bad.append(criterion["key"])
            continue
        if 0 <= index < len(criterion["levels"]):
            levels[criterion["key"]] = index
        else:
            bad.append(criterion["key"])
    return levels, bad


def feedback_rows(definition: dict[str, Any], levels: dict[str, int], comments: dict[str, str]) -> list[dict[str, Any]]:
    """Each criterion with the chosen level (or None) and the grader's comment."""
    rows = []
    for criterion in criteria(definition):
        index = levels.get(criterion["key"])
        rows.append(
            {
                "criterion": criterion,
                "level": criterion["levels"][index] if index is not None else None,
                "comment": comments.get(criterion["key"], ""),
            }
        )
    return rows


def calibration_rows(
    definition: dict[str, Any], reference: dict[str, int], mine: dict[str, int]
) -> list[dict[str, Any]]:
    """Per criterion: the reference level, the grader's, and the gap in levels (negative: harsher, positive: milder)."""
    rows = []
    for criterion in criteria(definition):
        key = criterion["key"]
        ref, own = reference.get(key), mine.get(key)
        gap = own - ref if ref is not None and own is not None else None
        rows.append(
            {
                "criterion": criterion,
                "reference": criterion["levels"][ref] if ref is not None else None,
                "mine": criterion["levels"][own] if own is not None else None,
                "gap": gap,
            }
        )
    return rows
