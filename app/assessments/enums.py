"""The assessment room's fixed words as ``StrEnum``s: quiz kinds and attempt statuses.

Pure (no Flask, no database), so the content loader can use them too. A member *is* its string
(``AttemptStatus.SUBMITTED == "submitted"``), so stored values, JSON and template comparisons are
unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class QuizKind(StrEnum):
    """The ``kind:`` of a quiz file."""

    SELF_ASSESSMENT = "self-assessment"
    KNOWLEDGE = "knowledge"

    @property
    def plural(self) -> str:
        """The kind in English prose, plural (for the loader's messages)."""
        return {QuizKind.SELF_ASSESSMENT: "self-assessments", QuizKind.KNOWLEDGE: "knowledge checks"}[self]


class AttemptStatus(StrEnum):
    """Where an attempt is: open (answers can be saved) or scored."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
