"""The revision story, pure: the rounds of a returned-and-resubmitted submission and a diff of its written response.

The diff compares characters (Chinese has no spaces between words) and merges the pieces into runs
of kept, inserted and deleted text; templates render them as escaped text inside ``<ins>``/``<del>``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Protocol

from app.roleplay.enums import GradingEvent

MAX_DIFF_CHARS = 20000  # the longest response (services.MAX_RESPONSE); the diff is quadratic only in the changed part


@dataclass(frozen=True)
class Piece:
    """A run of the diff: ``same``, ``ins`` (only in the new version) or ``del`` (only in the earlier one)."""

    op: str
    text: str


def diff(earlier: str, later: str) -> list[Piece]:
    """The character diff of two versions of a response, as runs of kept, deleted and inserted text."""
    earlier, later = earlier[:MAX_DIFF_CHARS], later[:MAX_DIFF_CHARS]
    matcher = difflib.SequenceMatcher(None, earlier, later, autojunk=False)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", earlier[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            pieces.append(Piece("del", earlier[i1:i2]))
        if tag in ("insert", "replace"):
            pieces.append(Piece("ins", later[j1:j2]))
    return pieces


class Event(Protocol):
    """What a round reads of a history event."""

    action: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Round:
    """One return for revision: the response returned, the levels and comments given, the overall comment."""

    number: int
    event: Any
    response: str | None
    levels: dict[str, int]
    comments: dict[str, str]
    overall: str


def rounds(events: list[Any]) -> list[Round]:
    """Every return for revision in a submission's history, oldest first."""
    found: list[Round] = []
    for event in events:
        if event.action == GradingEvent.RETURNED:
            details = event.details or {}
            found.append(
                Round(
                    len(found) + 1,
                    event,
                    details.get("response"),
                    dict(details.get("levels") or {}),
                    {k: v for k, v in (details.get("comments") or {}).items() if v},
                    details.get("overall") or "",
                )
            )
    return found


def earlier_response(events: list[Any], current: str) -> str | None:
    """The response as it was last returned, when the submission came back changed (None: nothing to compare)."""
    found = rounds(events)
    if not found or found[-1].response is None or found[-1].response == current:
        return None
    return found[-1].response
