"""The role-play room's fixed words as ``StrEnum``s: card difficulties and submission statuses.

Pure (no Flask, no database), so the content loader can use them too. A member *is* its string
(``SubmissionStatus.GRADED == "graded"``), so stored values, JSON and template comparisons are
unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class Difficulty(StrEnum):
    """The ``difficulty:`` of a scenario card."""

    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class SubmissionStatus(StrEnum):
    """draft → submitted → graded, or returned for revision → resubmitted (services.TRANSITIONS)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    GRADED = "graded"


WAITING = frozenset({SubmissionStatus.SUBMITTED, SubmissionStatus.RESUBMITTED})  # in a grader's queue
EDITABLE = frozenset({SubmissionStatus.DRAFT, SubmissionStatus.RETURNED})  # the trainee may still change it
