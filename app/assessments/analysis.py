"""Results that teach instructors something: quiz and item statistics (reads only).

The statistics are pure functions over plain rows (:class:`AttemptRow`); :func:`load` reads those rows
for one quiz and one viewer in a fixed number of SQL statements, whatever the number of attempts:

1. the submitted attempts the viewer may see, each joined to its saved answers (one row per answer);
2. the quiz versions those attempts were scored against (and the current one);
3. the cohort memberships of the trainees in them (for the cohort comparison).

Definitions used on the page and in the exports (docs/content-spec.md repeats them):

- every submitted attempt counts (retakes too); an attempt's total is its stored percent;
- pass rate: trainees with at least one passed attempt ÷ trainees with an attempt; first-try pass
  rate: trainees whose first attempt passed ÷ trainees with an attempt;
- per question, over the attempts whose paper held it (pools give each attempt its own paper):
  facility = correct ÷ responses (an unanswered question of an attempt submitted at its deadline is
  a wrong response); correctness is judged by the version each attempt was scored against;
- discrimination D = p(upper) − p(lower), where the upper and lower groups are the 27 % of all
  attempts with the highest and the lowest totals (``round(0.27 × N)``, at least one; ties broken by
  attempt id, earlier first), each p over the group's attempts that held the question;
- point-biserial r = (M₁ − M₀) ÷ s × √(p·q): M₁, M₀ the mean totals of the responses right and wrong,
  s their population standard deviation, p the facility, q = 1 − p;
- flags (with at least :data:`MIN_RESPONSES` responses): ``hard`` when facility ≤ 0.2 (nearly
  everyone misses it), ``reversed`` when D < 0 (strong trainees miss it more often than weak ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.accounts.models import Cohort, CohortMember, User
from app.assessments.enums import AttemptStatus
from app.assessments.models import Attempt, AttemptAnswer, Quiz, QuizVersion
from app.assessments.queries import RESULT_ROLES, result_conditions, taught_cohort_ids
from app.assessments.scoring import chosen_keys
from app.extensions import db

GROUP_SHARE = 0.27
MIN_RESPONSES = 5
HARD_FACILITY = 0.2
BINS = 10  # score distribution: 0–9 %, 10–19 %, …, 90–100 %


@dataclass(frozen=True)
class AttemptRow:
    """One submitted attempt as the statistics need it."""

    attempt_id: int
    user_id: int
    version_id: int
    percent: int
    passed: bool
    submitted_at: datetime
    paper: tuple[str, ...]
    answers: dict[str, Any]


@dataclass(frozen=True)
class Summary:
    """Quiz-level figures for a set of attempts."""

    attempts: int
    trainees: int
    average: float | None
    pass_rate: float | None
    first_try_pass_rate: float | None
    distribution: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class OptionCount:
    """How often one option was chosen for a question."""

    key: str
    text: str
    count: int
    share: float | None
    right: bool


@dataclass
class ItemStatistics:
    """One question's figures."""

    id: str
    text: str
    type: str
    module: str | None
    answer: tuple[str, ...]
    responses: int = 0
    correct: int = 0
    unanswered: int = 0
    upper: tuple[int, int] = (0, 0)  # (correct, responses) in the upper group
    lower: tuple[int, int] = (0, 0)
    options: list[OptionCount] = field(default_factory=list)
    point_biserial: float | None = None

    @property
    def facility(self) -> float | None:
        """Share of responses that were correct."""
        return self.correct / self.responses if self.responses else None

    @property
    def upper_facility(self) -> float | None:
        """Facility in the upper 27 % group."""
        return self.upper[0] / self.upper[1] if self.upper[1] else None

    @property
    def lower_facility(self) -> float | None:
        """Facility in the lower 27 % group."""
        return self.lower[0] / self.lower[1] if self.lower[1] else None

    @property
    def discrimination(self) -> float | None:
        """Upper-group facility minus lower-group facility (None when a group never saw the question)."""
        if self.upper_facility is None or self.lower_facility is None:
            return None
        return self.upper_facility - self.lower_facility

    @property
    def flags(self) -> list[str]:
        """``hard`` (nearly everyone misses it) and ``reversed`` (strong trainees miss it more than weak ones)."""
        if self.responses < MIN_RESPONSES:
            return []
        found = []
        if self.facility is not None and self.facility <= HARD_FACILITY:
            found.append("hard")
        if self.discrimination is not None and self.discrimination < 0:
            found.append("reversed")
        return found


@dataclass(frozen=True)
class CohortSummary:
    """The quiz-level figures of one cohort's trainees."""

    cohort_id: int
    name: str
    summary: Summary


@dataclass(frozen=True)
class QuizStatistics:
    """Everything the statistics page and the exports show."""

    summary: Summary
    items: list[ItemStatistics]
    cohorts: list[CohortSummary]


# --- pure statistics ----------------------------------------------------------------------------


def _ordered(rows: list[AttemptRow]) -> list[AttemptRow]:
    return sorted(rows, key=lambda r: (r.submitted_at, r.attempt_id))


def distribution(percents: list[int], bins: int = BINS) -> tuple[tuple[str, int], ...]:
    """Counts of totals per band of ``100 / bins`` points; 100 % falls in the top band."""
    width = 100 // bins
    counts = [0] * bins
    for percent in percents:
        counts[min(max(percent, 0) // width, bins - 1)] += 1
    labels = [f"{i * width}–{(i + 1) * width - 1 if i < bins - 1 else 100}" for i in range(bins)]
    return tuple(zip(labels, counts, strict=True))


def summarise(rows: list[AttemptRow]) -> Summary:
    """Attempts, trainees, average total, pass rate, first-try pass rate and the score distribution."""
    if not rows:
        return Summary(0, 0, None, None, None, distribution([]))
    first: dict[int, AttemptRow] = {}
    passed: set[int] = set()
    for row in _ordered(rows):
        first.setdefault(row.user_id, row)
        if row.passed:
            passed.add(row.user_id)
    trainees = len(first)
    return Summary(
        attempts=len(rows),
        trainees=trainees,
        average=sum(r.percent for r in rows) / len(rows),
        pass_rate=len(passed) / trainees,
        first_try_pass_rate=sum(1 for r in first.values() if r.passed) / trainees,
        distribution=distribution([r.percent for r in rows]),
    )


def groups(rows: list[AttemptRow], share: float = GROUP_SHARE) -> tuple[set[int], set[int]]:
    """The attempt ids of the upper and the lower group (``round(share × N)`` attempts each, at least one)."""
    if len(rows) < 2:
        return set(), set()
    size = max(1, round(share * len(rows)))
    ranked = sorted(rows, key=lambda r: (-r.percent, r.attempt_id))
    lowest = sorted(rows, key=lambda r: (r.percent, r.attempt_id))
    return {r.attempt_id for r in ranked[:size]}, {r.attempt_id for r in lowest[:size]}


def point_biserial(right: list[float], wrong: list[float]) -> float | None:
    """r_pb of a question from the totals of the responses right and wrong (None when undefined)."""
    totals = right + wrong
    if not right or not wrong:
        return None
    mean = sum(totals) / len(totals)
    sd = math.sqrt(sum((t - mean) ** 2 for t in totals) / len(totals))
    if sd == 0:
        return None
    p = len(right) / len(totals)
    return (sum(right) / len(right) - sum(wrong) / len(wrong)) / sd * math.sqrt(p * (1 - p))


def _question_order(current: dict[str, Any], definitions: dict[int, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every question by id: the current version's first (in file order), then older versions' others."""
    out = {q["id"]: q for q in current.get("questions", [])}
    for version_id in sorted(definitions, reverse=True):
        for question in definitions[version_id]["questions"]:
            out.setdefault(question["id"], question)
    return out


def items(
    rows: list[AttemptRow], definitions: dict[int, dict[str, Any]], current: dict[str, Any]
) -> list[ItemStatistics]:
    """Per-question statistics, in the order of the current version (questions it dropped come last)."""
    questions = _question_order(current, definitions)
    upper, lower = groups(rows)
    stats = {
        qid: ItemStatistics(qid, q.get("text", ""), q.get("type", ""), q.get("module"), tuple(q.get("answer") or ()))
        for qid, q in questions.items()
    }
    chosen: dict[str, dict[str, int]] = {qid: {} for qid in questions}
    totals: dict[str, tuple[list[float], list[float]]] = {qid: ([], []) for qid in questions}
    for row in rows:
        version = {q["id"]: q for q in definitions[row.version_id]["questions"]}
        for qid in row.paper:
            if qid not in version or qid not in stats:
                continue
            item = stats[qid]
            keys = tuple(sorted(chosen_keys(row.answers.get(qid))))
            right = keys == tuple(sorted(version[qid].get("answer") or ()))
            item.responses += 1
            item.correct += right
            if not keys:
                item.unanswered += 1
            for key in keys:
                chosen[qid][key] = chosen[qid].get(key, 0) + 1
            if row.attempt_id in upper:
                item.upper = (item.upper[0] + right, item.upper[1] + 1)
            if row.attempt_id in lower:
                item.lower = (item.lower[0] + right, item.lower[1] + 1)
            totals[qid][0 if right else 1].append(row.percent)
    out = []
    for qid, item in stats.items():
        question = questions[qid]
        known = [o["key"] for o in question.get("options", [])]
        texts = {o["key"]: o.get("text", "") for o in question.get("options", [])}
        shown = known + sorted(k for k in chosen[qid] if k not in texts)
        item.options = [
            OptionCount(
                key,
                texts.get(key, key),
                chosen[qid].get(key, 0),
                chosen[qid].get(key, 0) / item.responses if item.responses else None,
                key in item.answer,
            )
            for key in shown
        ]
        item.point_biserial = point_biserial(*totals[qid])
        if item.responses or qid in {q["id"] for q in current.get("questions", [])}:
            out.append(item)
    return out


def statistics(
    rows: list[AttemptRow],
    definitions: dict[int, dict[str, Any]],
    current: dict[str, Any],
    memberships: list[tuple[int, str, int]] = (),  # type: ignore[assignment]
) -> QuizStatistics:
    """The whole picture: summary, per-question statistics and per-cohort summaries (cohort id, name, user id)."""
    by_cohort: dict[tuple[int, str], set[int]] = {}
    for cohort_id, name, user_id in memberships:
        by_cohort.setdefault((cohort_id, name), set()).add(user_id)
    cohorts = [
        CohortSummary(cohort_id, name, summarise([r for r in rows if r.user_id in members]))
        for (cohort_id, name), members in sorted(by_cohort.items(), key=lambda kv: kv[0][1])
    ]
    return QuizStatistics(summarise(rows), items(rows, definitions, current), cohorts)


# --- the one read -------------------------------------------------------------------------------


def load(viewer: User, quiz: Quiz, cohort_id: int | None = None) -> QuizStatistics:
    """Read the attempts the viewer may see (instructors: their cohorts) and compute the statistics."""
    conditions = [
        Attempt.quiz_id == quiz.id,
        Attempt.status == AttemptStatus.SUBMITTED,
        *result_conditions(viewer, cohort_id),
    ]
    raw = db.session.execute(
        select(
            Attempt.id,
            Attempt.user_id,
            Attempt.quiz_version_id,
            Attempt.percent,
            Attempt.passed,
            Attempt.submitted_at,
            Attempt.order,
            AttemptAnswer.question_id,
            AttemptAnswer.value,
        )
        .outerjoin(AttemptAnswer, AttemptAnswer.attempt_id == Attempt.id)
        .where(*conditions)
        .order_by(Attempt.id)
    ).all()
    rows: dict[int, AttemptRow] = {}
    for attempt_id, user_id, version_id, percent, passed, submitted_at, order, question_id, value in raw:
        row = rows.get(attempt_id)
        if row is None:
            row = rows[attempt_id] = AttemptRow(
                attempt_id,
                user_id,
                version_id,
                percent or 0,
                bool(passed),
                submitted_at,
                tuple((order or {}).get("questions") or ()),
                {},
            )
        if question_id is not None:
            row.answers[question_id] = value
    version_ids = {r.version_id for r in rows.values()} | {quiz.current_version_id or 0}
    definitions: dict[int, dict[str, Any]] = {
        version_id: definition
        for version_id, definition in db.session.execute(
            select(QuizVersion.id, QuizVersion.definition).where(QuizVersion.id.in_(version_ids))
        )
    }
    for row in rows.values():
        if not row.paper:  # attempts stored before papers were recorded: every question of their version
            object.__setattr__(row, "paper", tuple(q["id"] for q in definitions[row.version_id]["questions"]))
    member_query = (
        select(Cohort.id, Cohort.name, CohortMember.user_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.role == "trainee", CohortMember.user_id.in_({r.user_id for r in rows.values()}))
    )
    if cohort_id is not None:
        member_query = member_query.where(Cohort.id == cohort_id)
    elif not viewer.has_role(*RESULT_ROLES):
        member_query = member_query.where(Cohort.id.in_(taught_cohort_ids(viewer)))
    memberships = [tuple(m) for m in db.session.execute(member_query).all()] if rows else []
    current = definitions.get(quiz.current_version_id or 0) or {"questions": []}
    return statistics(list(rows.values()), definitions, current, memberships)  # type: ignore[arg-type]
