"""Inter-rater agreement of double-marked role-plays: Krippendorff's alpha (ordinal), exact and adjacent agreement.

One read (``pairs``) fetches every settled-or-not pair of blind marks (first and second) with the
rubric; the rest is arithmetic over those rows (``report``), grouped per criterion, per instructor
pair, per month and per grader. Alpha comes from the ``krippendorff`` library.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import krippendorff
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.extensions import db
from app.roleplay import marking
from app.roleplay.enums import MarkRole
from app.roleplay.models import Mark, Rubric, RubricVersion, Submission


@dataclass(frozen=True)
class Pair:
    """One double-marked submission: the first and second blind marks."""

    submission_id: int
    rubric_id: int
    saved_at: datetime
    first_id: int
    second_id: int
    first_levels: dict[str, int]
    second_levels: dict[str, int]
    first_total: int
    second_total: int

    @property
    def month(self) -> str:
        """The month the second mark was saved (YYYY-MM)."""
        return self.saved_at.strftime("%Y-%m")


@dataclass
class Agreement:
    """Agreement over a group of double-marked ratings."""

    label: str
    items: int = 0  # double-marked submissions
    ratings: int = 0  # rated pairs (criteria × submissions, or submissions for totals)
    alpha: float | None = None
    exact: float | None = None
    adjacent: float | None = None
    warn: bool = False


@dataclass
class Severity:
    """One grader's mean deviation from the pair's mean (negative: harsher, positive: milder)."""

    grader_id: int
    name: str
    ratings: int
    levels: float  # mean deviation in levels per criterion rating
    points: float  # mean deviation in total points per submission


@dataclass
class Report:
    """The agreement report of one rubric."""

    rubric: Rubric
    floor: float
    items: int
    overall: Agreement
    total: Agreement
    criteria: list[Agreement] = field(default_factory=list)
    pairs: list[Agreement] = field(default_factory=list)
    months: list[Agreement] = field(default_factory=list)
    graders: list[Severity] = field(default_factory=list)


def alpha(first: list[int], second: list[int], domain: Iterable[int] | None = None) -> float | None:
    """Krippendorff's alpha (ordinal) of two coders' values (None: too few items or no variation to judge)."""
    if len(first) < 2:
        return None
    values = set(first) | set(second)
    if len(values) < 2:
        return None
    ordered = sorted(set(domain or ()) | values)
    result = krippendorff.alpha(reliability_data=[first, second], value_domain=ordered, level_of_measurement="ordinal")
    return None if math.isnan(result) else float(result)


def _shares(first: list[int], second: list[int]) -> tuple[float | None, float | None]:
    if not first:
        return None, None
    gaps = [abs(a - b) for a, b in zip(first, second, strict=True)]
    return sum(g == 0 for g in gaps) / len(gaps), sum(g <= 1 for g in gaps) / len(gaps)


def _agreement(label: str, items: int, first: list[int], second: list[int], floor: float, domain=None) -> Agreement:
    value = alpha(first, second, domain)
    exact, adjacent = _shares(first, second)
    return Agreement(label, items, len(first), value, exact, adjacent, value is not None and value < floor)


def pairs(rubric_id: int | None = None) -> list[Pair]:
    """Every submission with both blind marks saved (one query), oldest second mark first."""
    first, second = aliased(Mark), aliased(Mark)
    query = (
        select(first, second, RubricVersion.rubric_id)
        .join(second, (second.submission_id == first.submission_id) & (second.role == MarkRole.SECOND))
        .join(Submission, Submission.id == first.submission_id)
        .join(RubricVersion, RubricVersion.id == Submission.rubric_version_id)
        .where(first.role == MarkRole.FIRST, first.grader_id.is_not(None), second.grader_id.is_not(None))
        .order_by(second.saved_at, second.id)
    )
    if rubric_id is not None:
        query = query.where(RubricVersion.rubric_id == rubric_id)
    return [
        Pair(
            a.submission_id,
            rid,
            b.saved_at or b.created_at,
            a.grader_id or 0,  # never 0: the query keeps only marks with graders
            b.grader_id or 0,
            dict(a.levels),
            dict(b.levels),
            a.total,
            b.total,
        )
        for a, b, rid in db.session.execute(query)
    ]


def rubrics_with_pairs() -> list[Rubric]:
    """Rubrics that have at least one double-marked submission (for the report's choice)."""
    second = select(Mark.submission_id).where(Mark.role == MarkRole.SECOND)
    ids = (
        select(RubricVersion.rubric_id)
        .join(Submission, Submission.rubric_version_id == RubricVersion.id)
        .where(Submission.id.in_(second))
    )
    return list(db.session.scalars(select(Rubric).where(Rubric.id.in_(ids)).order_by(Rubric.title)))


def _ratings(rows: list[Pair], keys: list[str]) -> tuple[list[int], list[int]]:
    first, second = [], []
    for row in rows:
        for key in keys:
            if key in row.first_levels and key in row.second_levels:
                first.append(row.first_levels[key])
                second.append(row.second_levels[key])
    return first, second


def report(rubric: Rubric, rows: list[Pair], names: dict[int, str], default_floor: float) -> Report:
    """Agreement per criterion, per instructor pair, per month and each grader's severity, over one rubric's pairs."""
    definition = rubric.current_version.definition if rubric.current_version else {"criteria": []}
    settings = (definition or {}).get("double_marking") or {}
    floor = float(settings.get("alpha_floor", default_floor))
    criteria = definition.get("criteria", [])
    keys = [c["key"] for c in criteria]
    result = Report(rubric, floor, len(rows), Agreement(""), Agreement(""))
    first, second = _ratings(rows, keys)
    result.overall = _agreement("all", len(rows), first, second, floor)
    totals = ([r.first_total for r in rows], [r.second_total for r in rows])
    result.total = _agreement("total", len(rows), *totals, floor)
    for criterion in criteria:
        a, b = _ratings(rows, [criterion["key"]])
        domain = range(len(criterion["levels"]))
        result.criteria.append(_agreement(criterion["title"], len(a), a, b, floor, domain))
    by_pair: dict[tuple[int, int], list[Pair]] = defaultdict(list)
    by_month: dict[str, list[Pair]] = defaultdict(list)
    for row in rows:
        by_pair[tuple(sorted((row.first_id, row.second_id)))].append(row)  # type: ignore[index]
        by_month[row.month].append(row)
    for (x, y), group in sorted(by_pair.items(), key=lambda kv: (names.get(kv[0][0], ""), names.get(kv[0][1], ""))):
        label = f"{names.get(x, '?')} × {names.get(y, '?')}"
        result.pairs.append(_agreement(label, len(group), *_ratings(group, keys), floor))
    for month, group in sorted(by_month.items()):
        result.months.append(_agreement(month, len(group), *_ratings(group, keys), floor))
    result.graders = _severity(rows, keys, names)
    return result


def _severity(rows: list[Pair], keys: list[str], names: dict[int, str]) -> list[Severity]:
    levels: dict[int, list[float]] = defaultdict(list)
    points: dict[int, list[float]] = defaultdict(list)
    for row in rows:
        for grader, own, other, own_total, other_total in (
            (row.first_id, row.first_levels, row.second_levels, row.first_total, row.second_total),
            (row.second_id, row.second_levels, row.first_levels, row.second_total, row.first_total),
        ):
            points[grader].append((own_total - other_total) / 2)
            levels[grader].extend((own[k] - other[k]) / 2 for k in keys if k in own and k in other)
    return sorted(
        (Severity(g, names.get(g, "?"), len(levels[g]), _mean(levels[g]), _mean(points[g])) for g in points),
        key=lambda s: s.levels,
    )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def grader_names(rows: list[Pair]) -> dict[int, str]:
    """The graders' names (one query)."""
    ids = {r.first_id for r in rows} | {r.second_id for r in rows}
    if not ids:
        return {}
    return {uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}


def default_floor(config: Any) -> float:
    """The alpha below which the report warns, from the app config (a rubric may set its own)."""
    return float(config.get("ROLEPLAY_ALPHA_FLOOR", marking.DEFAULT_ALPHA_FLOOR))


DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 3)
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def csv_bytes(result: Report, headers: dict[str, str]) -> bytes:
    """The report as CSV, UTF-8 with a BOM so Excel and WPS read the Chinese; one row per group."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [headers[k] for k in ("section", "group", "items", "ratings", "alpha", "exact", "adjacent", "warn")]
    )
    sections = [("overall", [result.overall]), ("total", [result.total]), ("criterion", result.criteria)]
    sections += [("pair", result.pairs), ("month", result.months)]
    for section, groups in sections:
        for g in groups:
            row = [
                headers[section],
                g.label,
                g.items,
                g.ratings,
                g.alpha,
                g.exact,
                g.adjacent,
                headers["yes"] if g.warn else "",
            ]
            writer.writerow([_cell(v) for v in row])
    writer.writerow([])
    writer.writerow([headers[k] for k in ("grader", "ratings", "dev_levels", "dev_points")])
    for s in result.graders:
        writer.writerow([_cell(v) for v in (s.name, s.ratings, s.levels, s.points)])
    return "\ufeff".encode() + buffer.getvalue().encode()
