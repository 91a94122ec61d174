"""The completion room's fixed words as ``StrEnum``s: course statuses, checklist items, reminders.

Pure (no Flask, no database). A member *is* its string (``CompletionStatus.COMPLETE == "complete"``),
so stored values, JSON (``CourseCompletion.items``) and template comparisons are unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class CompletionStatus(StrEnum):
    """A course's status for one person (``CourseCompletion.status``; no row means not started)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class ItemKind(StrEnum):
    """What a checklist item (and a waiver) is about."""

    MODULE = "module"
    QUIZ = "quiz"
    ROLEPLAY = "roleplay"


class ItemState(StrEnum):
    """One checklist item's state for one person."""

    DONE = "done"
    WAIVED = "waived"
    PENDING = "pending"  # a role-play waits for its grade
    FAILED = "failed"
    TODO = "todo"


SATISFIED = (ItemState.DONE, ItemState.WAIVED)  # the states that count towards completion


class ReminderKind(StrEnum):
    """A reminder about a due date (``ReminderLog.kind``)."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MANUAL = "manual"  # "remind now" by HR or the person's manager
    DIGEST_HR = "digest_hr"  # the weekly overdue digest to HR (everyone, by department)
    DIGEST_MANAGER = "digest_manager"  # the weekly overdue digest to a manager (their departments)


class CertificateStatus(StrEnum):
    """A certificate's state (``Certificate.status``; expired also once past ``expires_at``)."""

    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
