"""The review policy: what a person may see of a submitted attempt (pure; pages, API and downloads ask it).

A quiz's ``review:`` is one of

- ``immediate``: after every attempt, each question with the trainee's answer, the right answer and
  the explanation;
- ``after-pass`` (the default for knowledge checks): after a failed attempt, the score and which
  questions were wrong with the module to reread for each; after a pass, or once no attempt is left,
  everything;
- ``never``: the score only.

Self-assessments always show their total, band and interpretation; ``never`` hides only the
per-question advice. Staff who may see an attempt (HR, admins, the instructors of the trainee's
cohorts) always see everything.
"""

from __future__ import annotations

from enum import StrEnum

from app.assessments.enums import QuizKind


class ReviewPolicy(StrEnum):
    """The ``review:`` key of a quiz file."""

    IMMEDIATE = "immediate"
    AFTER_PASS = "after-pass"  # noqa: S105  (a policy name, not a password)
    NEVER = "never"


class ReviewLevel(StrEnum):
    """How much of one attempt a viewer sees."""

    FULL = "full"  # each question, the answer given, the right answer, the explanation
    MISTAKES = "mistakes"  # which questions were wrong and the module to reread; no answers, no explanations
    SCORE = "score"  # the score (and for self-assessments the band and its interpretation)


DEFAULT_POLICY: dict[str, ReviewPolicy] = {
    QuizKind.KNOWLEDGE: ReviewPolicy.AFTER_PASS,
    QuizKind.SELF_ASSESSMENT: ReviewPolicy.IMMEDIATE,
}
POLICIES: dict[str, tuple[ReviewPolicy, ...]] = {
    QuizKind.KNOWLEDGE: tuple(ReviewPolicy),
    QuizKind.SELF_ASSESSMENT: (ReviewPolicy.IMMEDIATE, ReviewPolicy.NEVER),
}


def review_level(policy: str, kind: str, *, staff: bool, passed_ever: bool, attempts_left: bool) -> ReviewLevel:
    """The level for one viewer: ``staff`` for HR, admins and the trainee's instructors, else the owner.

    ``passed_ever``: the owner has passed this quiz in some attempt; ``attempts_left``: they may
    still start another one (no limit, or the limit not used up).
    """
    if staff or policy == ReviewPolicy.IMMEDIATE:
        return ReviewLevel.FULL
    if policy == ReviewPolicy.NEVER:
        return ReviewLevel.SCORE
    if kind != QuizKind.KNOWLEDGE or passed_ever or not attempts_left:
        return ReviewLevel.FULL
    return ReviewLevel.MISTAKES
