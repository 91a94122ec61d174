"""Double marking, pure: a rubric's settings, the seeded sample draw, the stage, when two marks disagree.

A rubric asks for a second blind grade with ``double_marking:`` in its file (docs/content-spec.md);
its settings land in the rubric version's definition, so a submission is judged by the rules of the
version it was graded with.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from app.roleplay.enums import MarkingStage, MarkRole

DEFAULT_TOTAL_GAP = 3
DEFAULT_LEVEL_GAP = 2
DEFAULT_ALPHA_FLOOR = 0.67


@dataclass(frozen=True)
class Settings:
    """A rubric's double-marking settings: the sampled share, the gaps that call a moderator, alpha's floor."""

    share: int = 0  # percent of submissions drawn for a second blind grade
    total_gap: int = DEFAULT_TOTAL_GAP  # moderate when the totals differ by this many points or more
    level_gap: int = DEFAULT_LEVEL_GAP  # … or any criterion by this many levels or more
    alpha_floor: float = DEFAULT_ALPHA_FLOOR  # the agreement report warns below this alpha


def settings(definition: dict[str, Any] | None) -> Settings:
    """The double-marking settings of a rubric version's definition (defaults when it has none)."""
    raw = (definition or {}).get("double_marking") or {}
    return Settings(
        share=int(raw.get("share", 0)),
        total_gap=int(raw.get("total_gap", DEFAULT_TOTAL_GAP)),
        level_gap=int(raw.get("level_gap", DEFAULT_LEVEL_GAP)),
        alpha_floor=float(raw.get("alpha_floor", DEFAULT_ALPHA_FLOOR)),
    )


def drawn(secret: str, submission_id: int, share: int) -> bool:
    """Whether a submission falls in the sampled share: a keyed hash of its id, so the draw is fixed and unguessable."""
    if share <= 0:
        return False
    if share >= 100:
        return True
    digest = hmac.new(secret.encode(), f"double-mark:{submission_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % 100 < share


class SavedMark(Protocol):
    """What the rules read of a mark."""

    role: str | None
    grader_id: int | None
    levels: dict[str, int]
    total: int


def disagree(first: SavedMark, second: SavedMark, rules: Settings) -> bool:
    """Whether two blind marks differ enough for a moderator: the totals, or any one criterion's levels."""
    if abs(first.total - second.total) >= rules.total_gap:
        return True
    keys = set(first.levels) | set(second.levels)
    return any(abs(first.levels.get(k, 0) - second.levels.get(k, 0)) >= rules.level_gap for k in keys)


def by_role(marks: Iterable[SavedMark]) -> dict[str, SavedMark]:
    """The saved marks by role."""
    return {m.role: m for m in marks if m.role}


def stage(marks: Iterable[SavedMark], rules: Settings, graded: bool) -> MarkingStage:
    """Where a double-marked submission stands, from its saved marks."""
    if graded:
        return MarkingStage.SETTLED
    roles = by_role(marks)
    if MarkRole.FIRST not in roles:
        return MarkingStage.FIRST
    if MarkRole.SECOND not in roles:
        return MarkingStage.SECOND
    if MarkRole.MODERATOR in roles or not disagree(roles[MarkRole.FIRST], roles[MarkRole.SECOND], rules):
        return MarkingStage.SETTLED
    return MarkingStage.MODERATION
