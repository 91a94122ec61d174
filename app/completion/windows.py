"""When a due date earns a reminder: the windows before it and the weeks after it (pure date arithmetic).

``REMINDER_DAYS_BEFORE`` (default 7 and 1) are the windows before a due date: a person is reminded
once when the due date is at most 7 days away and once more at most 1 day away (a due date first
seen 3 days away earns the 7-day reminder only; one seen on the day, the 1-day one). Once the due
date has passed, one reminder per ``REMINDER_OVERDUE_EVERY_DAYS`` (default 7) while the course is
not complete. Reports use :meth:`Windows.remindable` to offer "remind now" on the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.completion.enums import CompletionStatus, ReminderKind


@dataclass(frozen=True)
class Windows:
    """The reminder windows: days before a due date, and the period of overdue reminders."""

    days_before: tuple[int, ...] = (7, 1)
    overdue_every: int = 7

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Windows:
        """The windows configured (REMINDER_DAYS_BEFORE, REMINDER_OVERDUE_EVERY_DAYS); bad values fall back."""
        before = config.get("REMINDER_DAYS_BEFORE", cls.days_before)
        if isinstance(before, int):
            before = (before,)
        days = tuple(sorted({int(d) for d in before if 0 <= int(d) <= 366}, reverse=True))
        every = int(config.get("REMINDER_OVERDUE_EVERY_DAYS") or cls.overdue_every)
        return cls(days, every if every >= 1 else cls.overdue_every)

    @property
    def horizon(self) -> int:
        """How many days before a due date the first reminder may go out."""
        return max(self.days_before, default=0)

    def step(self, due: date, today: date) -> tuple[ReminderKind, int] | None:
        """The reminder a due date earns today: (due_soon, window days) or (overdue, week number), or None."""
        days_left = (due - today).days
        if days_left >= 0:
            open_windows = [d for d in self.days_before if days_left <= d]
            return (ReminderKind.DUE_SOON, min(open_windows)) if open_windows else None
        return ReminderKind.OVERDUE, (-days_left - 1) // self.overdue_every

    def in_reach(self, due: date | None, today: date) -> bool:
        """Whether a due date is past or within the first window (what "remind now" may remind of)."""
        return due is not None and due <= today + timedelta(days=self.horizon)

    def remindable(self, due: date | None, status: str, today: date) -> bool:
        """Whether an enrolment may be reminded now: not complete, and overdue or due within the first window."""
        return status != CompletionStatus.COMPLETE and self.in_reach(due, today)
