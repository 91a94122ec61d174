"""Read-only queries for quiz pages, results and the API (a fixed number of SQL queries each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from app.accounts.models import STAFF_ROLES, Cohort, CohortMember, User
from app.assessments.charts import range_chart
from app.assessments.enums import AttemptStatus, QuizKind
from app.assessments.models import Attempt, AttemptAnswer, Quiz, QuizVersion
from app.assessments.questions import in_attempt_order
from app.assessments.review import ReviewLevel, review_level
from app.assessments.scoring import on_paper, score_knowledge, score_self_assessment
from app.extensions import db
from app.learning import enrolments
from app.learning.models import Course, Module

RESULT_ROLES = ("hr", "admin")
CHART_POINTS = 30


def available_quizzes(user: User) -> Select:
    """Select the live quizzes a user may take: open ones, and those of courses assigned to them."""
    query = select(Quiz).where(Quiz.archived.is_(False), Quiz.current_version_id.is_not(None))
    if not user.has_role(*STAFF_ROLES):
        query = query.where(or_(Quiz.course_id.is_(None), Quiz.course_id.in_(enrolments.course_ids(user.id))))
    return query.order_by(Quiz.kind.desc(), Quiz.course_id, Quiz.slug)


def available_quiz(user: User, slug: str) -> Quiz | None:
    """A live quiz by slug if the user may take it."""
    return db.session.scalar(available_quizzes(user).where(Quiz.slug == slug))


def open_attempt(user_id: int, quiz_id: int) -> Attempt | None:
    """The user's in-progress attempt at a quiz, if any."""
    return db.session.scalar(
        select(Attempt).where(
            Attempt.user_id == user_id, Attempt.quiz_id == quiz_id, Attempt.status == AttemptStatus.IN_PROGRESS
        )
    )


@dataclass(frozen=True)
class Standing:
    """A person's submitted attempts at one quiz: how many, the latest (time, passed), any pass."""

    count: int
    last_at: datetime | None
    last_passed: bool | None
    passed_ever: bool

    def attempts_left(self, max_attempts: int | None) -> bool:
        """Whether another attempt may still be started under the limit."""
        return max_attempts is None or self.count < max_attempts


def standing(user_id: int, quiz_id: int) -> Standing:
    """The person's standing at a quiz (one query)."""
    mine = and_(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id, Attempt.status == AttemptStatus.SUBMITTED)
    latest = (
        select(Attempt.passed).where(mine).order_by(Attempt.submitted_at.desc(), Attempt.id.desc()).limit(1)
    ).scalar_subquery()
    count, last, passed_ever, last_passed = db.session.execute(
        select(
            func.count(Attempt.id),
            func.max(Attempt.submitted_at),
            func.max(case((Attempt.passed.is_(True), 1), else_=0)),
            latest,
        ).where(mine)
    ).one()
    return Standing(int(count or 0), last, last_passed, bool(passed_ever))


def attempt_counts(user_id: int, quiz_id: int) -> tuple[int, Any]:
    """Submitted attempts of a user at a quiz and the time of the latest."""
    found = standing(user_id, quiz_id)
    return found.count, found.last_at


def seen_questions(user_id: int, quiz_id: int) -> set[str]:
    """The ids of every question on the papers of the person's earlier attempts at a quiz."""
    orders = db.session.scalars(select(Attempt.order).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id))
    return {qid for order in orders for qid in (order or {}).get("questions", [])}


def overdue(
    now: datetime, *, quiz_id: int | None = None, attempt_id: int | None = None, user_id: int | None = None
) -> list[Attempt]:
    """Open attempts whose deadline has passed (optionally of one quiz, attempt or person)."""
    query = select(Attempt).where(
        Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at.is_not(None), Attempt.deadline_at < now
    )
    for column, value in ((Attempt.quiz_id, quiz_id), (Attempt.id, attempt_id), (Attempt.user_id, user_id)):
        if value is not None:
            query = query.where(column == value)
    return list(db.session.scalars(query.order_by(Attempt.id)))


def regradable(quiz: Quiz) -> list[tuple[QuizVersion, int]]:
    """Earlier versions of a quiz that still have submitted attempts, oldest first, with their counts."""
    rows = db.session.execute(
        select(QuizVersion, func.count(Attempt.id))
        .join(Attempt, Attempt.quiz_version_id == QuizVersion.id)
        .where(
            QuizVersion.quiz_id == quiz.id,
            QuizVersion.id != quiz.current_version_id,
            Attempt.status == AttemptStatus.SUBMITTED,
        )
        .group_by(QuizVersion.id)
        .order_by(QuizVersion.id)
    ).all()
    return [(version, count) for version, count in rows]


def attempts_on_version(quiz_id: int, version_id: int) -> list[Attempt]:
    """The submitted attempts scored against one version, with their people (one query)."""
    return list(
        db.session.scalars(
            select(Attempt)
            .options(joinedload(Attempt.user))
            .where(
                Attempt.quiz_id == quiz_id,
                Attempt.quiz_version_id == version_id,
                Attempt.status == AttemptStatus.SUBMITTED,
            )
            .order_by(Attempt.id)
        )
    )


def answers_by_attempt(attempt_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The saved answers of several attempts (one query)."""
    out: dict[int, dict[str, Any]] = {attempt_id: {} for attempt_id in attempt_ids}
    if not attempt_ids:
        return out
    for answer in db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(attempt_ids))):
        out[answer.attempt_id][answer.question_id] = answer.value
    return out


@dataclass
class QuizSummary:
    """A user's standing on one quiz: attempts used, the latest result, an open attempt."""

    count: int = 0
    latest: Attempt | None = None
    open: Attempt | None = None


def quiz_summaries(user_id: int, quiz_ids: list[int]) -> dict[int, QuizSummary]:
    """Summaries for several quizzes (two queries)."""
    out = {qid: QuizSummary() for qid in quiz_ids}
    if not quiz_ids:
        return out
    mine = and_(Attempt.user_id == user_id, Attempt.quiz_id.in_(quiz_ids))
    submitted = and_(mine, Attempt.status == AttemptStatus.SUBMITTED)
    for quiz_id, count in db.session.execute(
        select(Attempt.quiz_id, func.count()).where(submitted).group_by(Attempt.quiz_id)
    ):
        out[quiz_id].count = count
    latest_ids = select(func.max(Attempt.id)).where(submitted).group_by(Attempt.quiz_id)
    for attempt in db.session.scalars(
        select(Attempt).where(or_(Attempt.id.in_(latest_ids), and_(mine, Attempt.status == AttemptStatus.IN_PROGRESS)))
    ):
        if attempt.submitted:
            out[attempt.quiz_id].latest = attempt
        else:
            out[attempt.quiz_id].open = attempt
    return out


def history(user_id: int, quiz_id: int | None = None) -> Select:
    """Select a user's submitted attempts, newest first (optionally for one quiz)."""
    query = select(Attempt).where(Attempt.user_id == user_id, Attempt.status == AttemptStatus.SUBMITTED)
    if quiz_id is not None:
        query = query.where(Attempt.quiz_id == quiz_id)
    return query.order_by(Attempt.submitted_at.desc(), Attempt.id.desc())


def chart_attempts(user_id: int, quiz_id: int) -> list[Attempt]:
    """The latest submitted attempts at a quiz for the history chart, oldest first."""
    rows = db.session.scalars(history(user_id, quiz_id).limit(CHART_POINTS)).all()
    return list(reversed(rows))


def answers_of(attempt_id: int) -> dict[str, Any]:
    """The saved answers of an attempt by question id."""
    return {
        a.question_id: a.value
        for a in db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))
    }


def taught_cohorts(user: User) -> Select:
    """Select the cohorts a user teaches."""
    return (
        select(Cohort)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user.id, CohortMember.role == "instructor")
        .order_by(Cohort.name)
    )


def _taught_trainee_ids(user: User, cohort_id: int | None = None) -> Select:
    taught = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id, CohortMember.role == "instructor")
    query = select(CohortMember.user_id).where(CohortMember.role == "trainee", CohortMember.cohort_id.in_(taught))
    if cohort_id is not None:
        query = query.where(CohortMember.cohort_id == cohort_id)
    return query


def can_view_attempt(viewer: User, attempt: Attempt) -> bool:
    """Owners, HR and admins see an attempt; instructors see those of trainees in cohorts they teach."""
    if attempt.user_id == viewer.id or viewer.has_role(*RESULT_ROLES):
        return True
    if not viewer.has_role("instructor"):
        return False
    taught = _taught_trainee_ids(viewer).where(CohortMember.user_id == attempt.user_id)
    return db.session.scalar(select(func.count()).select_from(taught.subquery())) > 0


def result_cohorts(viewer: User) -> list[Cohort]:
    """The cohorts a viewer may filter results by: all for HR and admins, taught ones for instructors."""
    if viewer.has_role(*RESULT_ROLES):
        return list(db.session.scalars(select(Cohort).order_by(Cohort.name)))
    return list(db.session.scalars(taught_cohorts(viewer)))


def result_conditions(viewer: User, cohort_id: int | None = None) -> list[Any]:
    """WHERE conditions limiting attempts to the people a viewer may see (and to one cohort)."""
    if not viewer.has_role(*RESULT_ROLES):
        return [Attempt.user_id.in_(_taught_trainee_ids(viewer, cohort_id))]
    if cohort_id is not None:
        members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)
        return [Attempt.user_id.in_(members.where(CohortMember.role == "trainee"))]
    return []


def taught_cohort_ids(user: User) -> Select:
    """Select the ids of the cohorts a user teaches."""
    return select(CohortMember.cohort_id).where(CohortMember.user_id == user.id, CohortMember.role == "instructor")


def results(viewer: User, cohort_id: int | None = None, quiz_id: int | None = None) -> Select:
    """Select the submitted attempts a viewer may see, newest first, with user and quiz loaded."""
    query = (
        select(Attempt)
        .options(joinedload(Attempt.user))
        .where(Attempt.status == AttemptStatus.SUBMITTED, *result_conditions(viewer, cohort_id))
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
    )
    if quiz_id is not None:
        query = query.where(Attempt.quiz_id == quiz_id)
    return query


def module_links(course_id: int | None, slugs: set[str]) -> dict[str, tuple[str, str, str]]:
    """Live modules of a course by slug: (course slug, module slug, title)."""
    if course_id is None or not slugs:
        return {}
    rows = db.session.execute(
        select(Course.slug, Module.slug, Module.title)
        .join(Module, Module.course_id == Course.id)
        .where(Course.id == course_id, Module.slug.in_(slugs), Module.archived.is_(False))
    ).all()
    return {module: (course, module, title) for course, module, title in rows}


def band_titles(attempts: list[Attempt]) -> dict[int, str]:
    """The band title of each attempt, read from the version it was scored against (one query)."""
    ids = {a.quiz_version_id for a in attempts if a.band_key}
    if not ids:
        return {}
    bands = {
        v.id: {b["key"]: b["title"] for b in v.definition.get("bands") or []}
        for v in db.session.scalars(select(QuizVersion).where(QuizVersion.id.in_(ids)))
    }
    return {a.id: bands[a.quiz_version_id].get(a.band_key, a.band_key) for a in attempts if a.band_key}


def course_titles(course_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Course slug and title by id."""
    if not course_ids:
        return {}
    rows = db.session.execute(select(Course.id, Course.slug, Course.title).where(Course.id.in_(course_ids)))
    return {cid: (slug, title) for cid, slug, title in rows}


def review_level_for(viewer: User, attempt: Attempt) -> ReviewLevel:
    """How much of a submitted attempt ``viewer`` sees (call after :func:`can_view_attempt`; one query)."""
    if viewer.id != attempt.user_id:
        return ReviewLevel.FULL
    quiz = attempt.quiz
    found = standing(attempt.user_id, quiz.id)
    return review_level(
        quiz.review,
        quiz.kind,
        staff=False,
        passed_ever=found.passed_ever,
        attempts_left=found.attempts_left(quiz.max_attempts),
    )


def review_context(attempt: Attempt, level: ReviewLevel) -> dict[str, Any]:
    """What the result page shows of an attempt at a review level (never more than the level allows)."""
    definition = on_paper(attempt.version.definition, attempt.order)
    answers = answers_of(attempt.id)
    views = in_attempt_order(attempt.version.definition, attempt.order, answers)
    context: dict[str, Any] = {"questions": views, "definition": definition, "level": level}
    if definition["kind"] == QuizKind.KNOWLEDGE:
        outcomes = {o.question_id: o for o in score_knowledge(definition, answers, partial=True).questions}
        by_id = {q["id"]: q for q in definition["questions"]}
        wrong = {qid for qid, o in outcomes.items() if not o.correct}
        context.update(
            outcomes=outcomes,
            links=module_links(attempt.quiz.course_id, {by_id[q].get("module") for q in wrong} - {None}),
        )
    else:
        scored = score_self_assessment(definition, answers)
        bands = definition.get("bands") or []
        by_view = {v.id: v for v in views}
        costly = [(c, by_view[c.question_id]) for c in scored.costly] if level == ReviewLevel.FULL else []
        context.update(
            band=next((b for b in bands if b["key"] == attempt.band_key), None),
            chart=range_chart(bands, attempt.score or 0, attempt.band_key),
            scales=[
                (s, range_chart(definition["scales"][s.key]["bands"], s.total, s.band["key"] if s.band else None))
                for s in scored.scales
            ],
            costly=costly,
            links=module_links(attempt.quiz.course_id, {c.module for c, _ in costly if c.module}),
        )
    return context
