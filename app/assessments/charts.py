"""Geometry for the server-rendered SVG charts (pure functions; templates draw the shapes)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

WIDTH = 600
PAD = 12


@dataclass(frozen=True)
class Segment:
    """One band drawn on the range bar."""

    x: float
    width: float
    label: str
    title: str
    index: int
    current: bool


@dataclass(frozen=True)
class RangeChart:
    """Bands along the score axis and where a total falls."""

    segments: list[Segment]
    marker_x: float
    total: int
    lo: int
    hi: int


def _scale(value: float, lo: float, hi: float, length: float = WIDTH - 2 * PAD) -> float:
    return round(PAD + (value - lo) / (hi - lo) * length, 1) if hi > lo else PAD


def range_chart(bands: list[dict[str, Any]], total: int, current_key: str | None) -> RangeChart | None:
    """Place each band and the total on one axis from the lowest band minimum to the highest maximum."""
    if not bands:
        return None
    lo, hi = min(b["min"] for b in bands), max(b["max"] for b in bands)
    segments = []
    for index, band in enumerate(sorted(bands, key=lambda b: b["min"])):
        start = _scale(max(band["min"] - 0.5, lo), lo, hi)
        end = _scale(min(band["max"] + 0.5, hi), lo, hi)
        segments.append(
            Segment(
                start,
                round(end - start, 1),
                f"{band['min']}–{band['max']}",
                band["title"],
                index,
                band["key"] == current_key,
            )
        )
    return RangeChart(segments, _scale(min(max(total, lo), hi), lo, hi), total, lo, hi)


@dataclass(frozen=True)
class Point:
    """One attempt on the history chart."""

    x: float
    y: float
    value: int
    label: str


@dataclass(frozen=True)
class Tick:
    """A labelled mark on an axis (``pos`` is x for the time axis, y for the value axis)."""

    pos: float
    label: str


@dataclass(frozen=True)
class HistoryChart:
    """Scores over time on a dated axis: points, the polyline through them, reference lines and ticks."""

    points: list[Point]
    polyline: str
    lines: list[tuple[float, str]]
    height: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    left: float
    right: float
    top: float
    bottom: float


AXIS_LEFT = 44  # room for the value labels
AXIS_BOTTOM = 26  # room for the date labels
HOUR_STEPS = (1, 2, 3, 6, 12)


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def time_ticks(start: datetime, end: datetime, most: int = 5) -> list[datetime]:
    """Round moments between ``start`` and ``end`` for the time axis: midnights, or whole hours within two days."""
    span = end - start
    if span <= timedelta(0):
        return [start]
    if span >= timedelta(days=2):
        step = timedelta(days=max(1, math.ceil(span / timedelta(days=1) / (most - 1))))
        first = _midnight(start) + (timedelta(days=1) if _midnight(start) < start else timedelta(0))
    else:
        hours = span / timedelta(hours=1)
        step = timedelta(hours=next((h for h in HOUR_STEPS if hours / h <= most - 1), 24))
        first = start.replace(minute=0, second=0, microsecond=0)
        if first < start:
            first += timedelta(hours=1)
        while first.hour % (step // timedelta(hours=1)):
            first += timedelta(hours=1)
    ticks = []
    moment = first
    while moment <= end:
        ticks.append(moment)
        moment += step
    return ticks or [start, end]


def tick_labels(moments: list[datetime], start: datetime, end: datetime) -> list[str]:
    """Dates for a span of days (with the year when it changes); times within two days, dated at each new day."""
    if end - start >= timedelta(days=2):
        return [m.strftime("%Y-%m-%d" if start.year != end.year else "%m-%d") for m in moments]
    labels, day = [], None
    for moment in moments:
        labels.append(moment.strftime("%H:%M") if moment.date() == day else moment.strftime("%m-%d %H:%M"))
        day = moment.date()
    return labels


def history_chart(
    values: list[tuple[datetime, int]],
    lo: int,
    hi: int,
    lines: list[tuple[int, str]] | None = None,
    height: int = 180,
    y_ticks: list[int] | None = None,
) -> HistoryChart | None:
    """Lay out (time, value) pairs, oldest first, on a dated x axis and a ``lo``–``hi`` value axis.

    x is proportional to time (attempts a week apart are farther apart than two on one afternoon);
    the time axis is labelled at round moments (:func:`time_ticks`), the value axis at ``y_ticks``
    (default: lo, the middle and hi).
    """
    if not values:
        return None
    left, right, top, bottom = AXIS_LEFT, WIDTH - PAD, PAD, height - AXIS_BOTTOM
    start, end = values[0][0], values[-1][0]
    seconds = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        if seconds <= 0:
            return round((left + right) / 2, 1)
        return round(left + (moment - start).total_seconds() / seconds * (right - left), 1)

    def y(value: float) -> float:
        if hi <= lo:
            return round((top + bottom) / 2, 1)
        return round(bottom - (min(max(value, lo), hi) - lo) / (hi - lo) * (bottom - top), 1)

    points = [Point(x(moment), y(value), value, moment.strftime("%Y-%m-%d %H:%M")) for moment, value in values]
    moments = time_ticks(start, end)
    ticks = [Tick(x(m), label) for m, label in zip(moments, tick_labels(moments, start, end), strict=True)]
    marks = y_ticks if y_ticks is not None else sorted({lo, (lo + hi) // 2, hi})
    return HistoryChart(
        points,
        " ".join(f"{p.x},{p.y}" for p in points),
        [(y(value), label) for value, label in lines or []],
        height,
        ticks,
        [Tick(y(mark), str(mark)) for mark in marks],
        left,
        right,
        top,
        bottom,
    )
