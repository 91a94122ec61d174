"""Geometry for the server-rendered SVG charts (pure functions; templates draw the shapes)."""

from __future__ import annotations

from dataclasses import dataclass
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
            Segment(start, round(end - start, 1), f"{band['min']}–{band['max']}", band["title"], index,
                    band["key"] == current_key)
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
class HistoryChart:
    """Scores over time: points, the polyline through them, and reference lines."""

    points: list[Point]
    polyline: str
    lines: list[tuple[float, str]]
    height: int


def history_chart(
    values: list[tuple[str, int]], lo: int, hi: int, lines: list[tuple[int, str]] | None = None, height: int = 160
) -> HistoryChart | None:
    """Lay out (label, value) pairs oldest first between ``lo`` (bottom) and ``hi`` (top)."""
    if not values:
        return None
    inner = height - 2 * PAD
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return round(height - PAD - (min(max(value, lo), hi) - lo) / (hi - lo) * inner, 1) if hi > lo else height / 2

    points = [
        Point(round(PAD + i * step if len(values) > 1 else WIDTH / 2, 1), y(value), value, label)
        for i, (label, value) in enumerate(values)
    ]
    return HistoryChart(
        points,
        " ".join(f"{p.x},{p.y}" for p in points),
        [(y(value), label) for value, label in lines or []],
        height,
    )
