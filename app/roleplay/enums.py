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


class GradingEvent(StrEnum):
    """What a grader's save records in a submission's history (``SubmissionEvent.action``) and the audit log."""

    SAVED = "grading-saved"
    RETURNED = "returned"
    GRADED = "graded"
    REGRADED = "regraded"
    MARK_FIRST = "mark-first"  # double marking: the first blind mark saved (its levels stay in roleplay_marks)
    MARK_SECOND = "mark-second"
    MARK_MODERATOR = "mark-moderator"


class Verdict(StrEnum):
    """A rubric scoring's outcome (``scoring.verdict``)."""

    INCOMPLETE = "incomplete"  # not every criterion has a level yet
    PASSED = "passed"
    FAILED = "failed"


class CardProgress(StrEnum):
    """Where a trainee stands on a card they have started (the card library's badge)."""

    PASSED = "passed"
    WAITING = "waiting"  # submitted or resubmitted, in a grader's queue
    RETURNED = "returned"
    DRAFT = "draft"
    FAILED = "failed"  # graded, not passed


class MarkRole(StrEnum):
    """Who a saved blind mark of a double-marked submission belongs to (``Mark.role``)."""

    FIRST = "first"
    SECOND = "second"
    MODERATOR = "moderator"


class MarkingStage(StrEnum):
    """Where a double-marked submission stands (``marking.stage``)."""

    FIRST = "first"  # waiting for the first blind mark
    SECOND = "second"  # waiting for the second blind mark
    MODERATION = "moderation"  # the two marks differ too much: a third instructor decides
    SETTLED = "settled"  # the final grade is stored


class AssistantRule(StrEnum):
    """The grading assistant's rules (``assistant.RULES``), named in a rubric file's ``assistant:`` list."""

    APOLOGY = "apology"
    FEELING = "feeling"
    TIME_COMMITMENT = "time-commitment"
    RESTATE = "restate"
    COMMONPLACE = "commonplace"
    IMPOSSIBLE = "impossible"
    BUT = "but"
    BLAME = "blame"
