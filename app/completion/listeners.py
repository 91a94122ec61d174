"""Completion listens to the feature rooms' signals (declared in app.core.signals) and recomputes; no room imports it."""

from __future__ import annotations

from typing import Any

from app.completion import services
from app.completion.enums import ItemKind
from app.core import jobs, signals


def on_module_completed(sender: Any, *, user_id: int, course_id: int, **_: Any) -> None:
    """A module was read: recompute its course."""
    services.recompute_for_course_id(user_id, course_id)


def on_attempt_scored(
    sender: Any,
    *,
    user_id: int,
    quiz_id: int,
    passed: bool | None = None,
    percent: int | None = None,
    regraded: bool = False,
    **_: Any,
) -> None:
    """A quiz attempt was scored: recompute the courses that require the quiz (unless it changes nothing).

    A regrade may lower a stored result, so it always recomputes.
    """
    result = None if regraded else (bool(passed), percent)
    services.recompute_requiring(user_id, ItemKind.QUIZ, quiz_id, result=result)


def on_submission_graded(sender: Any, *, user_id: int, card_id: int, **_: Any) -> None:
    """A role-play submission was graded: recompute the courses that require the card."""
    services.recompute_requiring(user_id, ItemKind.ROLEPLAY, card_id)


def on_content_loaded(report: Any, **_: Any) -> None:
    """Content changed (completion rules, modules, quizzes or cards may differ): a background job recomputes everyone.

    The job (kind ``completion.recompute``, app/jobs/tasks.py) calls ``services.recompute_all``; with
    JOBS_IMMEDIATE (tests) it runs before this returns.
    """
    if report.changed:
        jobs.submit("completion.recompute", audience_role="hr")


def connect() -> None:
    """Connect the listeners (idempotent: blinker keeps one connection per receiver)."""
    signals.module_completed.connect(on_module_completed)
    signals.attempt_scored.connect(on_attempt_scored)
    signals.submission_graded.connect(on_submission_graded)
    signals.content_loaded.connect(on_content_loaded)
