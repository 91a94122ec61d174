"""Read-only queries for role-play pages: access checks, lists (fixed query counts), counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, joinedload

from app.accounts.models import STAFF_ROLES, Cohort, CohortMember, User
from app.extensions import db
from app.learning import enrolments
from app.learning.models import Course, Module
from app.notifications.queries import unread_count
from app.roleplay.enums import CardProgress, SubmissionStatus
from app.roleplay.models import (
    DIFFICULTIES,
    STATUSES,
    WAITING,
    Anchor,
    CalibrationMark,
    Mark,
    RoleplayCard,
    SelfScore,
    Submission,
    SubmissionEvent,
)

QUEUE_FILTERS = (
    "waiting",
    SubmissionStatus.SUBMITTED,
    SubmissionStatus.RESUBMITTED,
    SubmissionStatus.RETURNED,
    SubmissionStatus.GRADED,
    "all",
)


def card_by_slug(slug: str) -> RoleplayCard | None:
    """A card that is not archived, by slug."""
    return db.session.scalar(select(RoleplayCard).where(RoleplayCard.slug == slug, RoleplayCard.archived.is_(False)))


def can_view_card(user: User, card: RoleplayCard) -> bool:
    """Staff see every card; trainees the cards of courses assigned to them."""
    if user.has_role(*STAFF_ROLES):
        return True
    assigned = enrolments.course_ids(user.id)
    return bool(
        db.session.scalar(
            select(func.count()).select_from(Course).where(Course.id == card.course_id, Course.id.in_(assigned))
        )
    )


def library(user: User, course_id: int | None = None, difficulty: str | None = None) -> Select:
    """Cards the user may open, filtered by course and difficulty, in course order."""
    query = (
        select(RoleplayCard)
        .join(Course, Course.id == RoleplayCard.course_id)
        .where(RoleplayCard.archived.is_(False), Course.archived.is_(False))
        .order_by(Course.position, RoleplayCard.title, RoleplayCard.id)
    )
    if not user.has_role(*STAFF_ROLES):
        query = query.where(RoleplayCard.course_id.in_(enrolments.course_ids(user.id)))
    if course_id:
        query = query.where(RoleplayCard.course_id == course_id)
    if difficulty in DIFFICULTIES:
        query = query.where(RoleplayCard.difficulty == difficulty)
    return query


def library_courses(user: User) -> list[Course]:
    """Courses that have cards the user may open (for the course filter)."""
    cards = select(RoleplayCard.course_id).where(RoleplayCard.archived.is_(False))
    query = select(Course).where(Course.id.in_(cards), Course.archived.is_(False)).order_by(Course.position)
    if not user.has_role(*STAFF_ROLES):
        query = query.where(Course.id.in_(enrolments.course_ids(user.id)))
    return list(db.session.scalars(query))


def courses_by_id(ids: set[int]) -> dict[int, Course]:
    """Courses by id (one query)."""
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(ids)))}


@dataclass
class CardState:
    """The user's own state on a card: their latest attempt, and whether any graded attempt passed."""

    latest: Submission
    passed: bool

    @property
    def state(self) -> CardProgress:
        """passed | waiting | returned | draft | failed (a card without attempts has no CardState: not started)."""
        if self.passed:
            return CardProgress.PASSED
        status = self.latest.status
        if status in WAITING:
            return CardProgress.WAITING
        return CardProgress.FAILED if status == SubmissionStatus.GRADED else CardProgress(status)


def card_states(user_id: int, card_ids: list[int]) -> dict[int, CardState]:
    """The user's state per card that they have started (one query)."""
    if not card_ids:
        return {}
    latest = (
        select(func.max(Submission.id))
        .where(Submission.trainee_id == user_id, Submission.card_id.in_(card_ids))
        .group_by(Submission.card_id)
    )
    earlier = aliased(Submission)
    passed = (
        select(func.count())
        .select_from(earlier)
        .where(
            earlier.trainee_id == user_id,
            earlier.card_id == Submission.card_id,
            earlier.status == SubmissionStatus.GRADED,
            earlier.passed.is_(True),
        )
        .correlate(Submission)
        .scalar_subquery()
    )
    rows = db.session.execute(select(Submission, passed).where(Submission.id.in_(latest)))
    return {s.card_id: CardState(s, bool(n)) for s, n in rows}


def required_slugs(courses: Iterable[Course]) -> set[str]:
    """Slugs of the cards that the courses' completion rules require (``completion: roleplays:`` in course.md)."""
    return {slug for course in courses for slug in (course.completion or {}).get("roleplays", [])}


def latest_submission(user_id: int, card_id: int) -> Submission | None:
    """The user's most recent attempt at a card."""
    return db.session.scalar(
        select(Submission)
        .where(Submission.trainee_id == user_id, Submission.card_id == card_id)
        .order_by(Submission.id.desc())
        .limit(1)
    )


def open_submission(user_id: int, card_id: int) -> Submission | None:
    """The user's attempt at a card that is not graded yet, if any."""
    return db.session.scalar(
        select(Submission)
        .where(
            Submission.trainee_id == user_id,
            Submission.card_id == card_id,
            Submission.status != SubmissionStatus.GRADED,
        )
        .order_by(Submission.id.desc())
        .limit(1)
    )


def self_scores(user_id: int, card_id: int, limit: int = 5) -> list[SelfScore]:
    """The user's own latest self-scores for a card."""
    return list(
        db.session.scalars(
            select(SelfScore)
            .where(SelfScore.user_id == user_id, SelfScore.card_id == card_id)
            .order_by(SelfScore.id.desc())
            .limit(limit)
        )
    )


def taught_cohort_ids(user_id: int) -> Select:
    """Select the ids of the cohorts the user teaches."""
    return select(CohortMember.cohort_id).where(CohortMember.user_id == user_id, CohortMember.role == "instructor")


def taught_trainee_ids(user_id: int, cohort_id: int | None = None) -> Select:
    """Select the ids of trainees in the cohorts the user teaches (optionally one of them)."""
    cohorts = taught_cohort_ids(user_id)
    if cohort_id is not None:
        cohorts = cohorts.where(CohortMember.cohort_id == cohort_id)
    return select(CohortMember.user_id).where(CohortMember.cohort_id.in_(cohorts), CohortMember.role == "trainee")


def teaches_trainee(user: User, trainee_id: int) -> bool:
    """Whether the user instructs a cohort the trainee belongs to."""
    if not user.has_role("instructor") or trainee_id == user.id:
        return False
    ids = taught_trainee_ids(user.id).where(CohortMember.user_id == trainee_id)
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) > 0


def can_grade(user: User, submission: Submission) -> bool:
    """Instructors grade handed-in work of trainees in cohorts they teach (never their own)."""
    return submission.status != SubmissionStatus.DRAFT and teaches_trainee(user, submission.trainee_id)


def can_view(user: User, submission: Submission) -> bool:
    """The trainee sees their own work; HR and admins see grades; instructors their cohorts'."""
    if submission.trainee_id == user.id:
        return True
    if submission.status == SubmissionStatus.DRAFT:
        return False
    return user.has_role("hr", "admin") or can_grade(user, submission)


def can_play_audio(user: User, submission: Submission) -> bool:
    """Only the trainee and their instructors may play the recording (not HR)."""
    return submission.trainee_id == user.id or can_grade(user, submission)


def taught_cohorts(user_id: int) -> list[Cohort]:
    """The cohorts the user teaches, by name."""
    query = select(Cohort).where(Cohort.id.in_(taught_cohort_ids(user_id))).order_by(Cohort.name)
    return list(db.session.scalars(query))


def queue(
    user: User,
    *,
    cohort_id: int | None = None,
    course_id: int | None = None,
    card_id: int | None = None,
    status: str = "waiting",
) -> Select:
    """Handed-in submissions of the user's cohorts, filtered, oldest first."""
    query = (
        select(Submission)
        .join(RoleplayCard, RoleplayCard.id == Submission.card_id)
        .where(Submission.trainee_id.in_(taught_trainee_ids(user.id, cohort_id)), Submission.trainee_id != user.id)
        .options(joinedload(Submission.trainee), joinedload(Submission.card), joinedload(Submission.rubric_version))
        .order_by(Submission.submitted_at, Submission.id)
    )
    if status == "waiting":
        query = query.where(Submission.status.in_(WAITING))
    elif status in STATUSES and status != SubmissionStatus.DRAFT:
        query = query.where(Submission.status == status)
    else:
        query = query.where(Submission.status != SubmissionStatus.DRAFT)
    if course_id:
        query = query.where(RoleplayCard.course_id == course_id)
    if card_id:
        query = query.where(Submission.card_id == card_id)
    return query


def card_choices() -> list[Any]:
    """Every open card with its course, in course order (for filters and live mode)."""
    return list(
        db.session.execute(
            select(RoleplayCard, Course)
            .join(Course, Course.id == RoleplayCard.course_id)
            .where(RoleplayCard.archived.is_(False), Course.archived.is_(False))
            .order_by(Course.position, RoleplayCard.title)
        ).all()
    )


def taught_trainees(user_id: int) -> list[User]:
    """Trainees of the cohorts the user teaches, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(taught_trainee_ids(user_id)), User.id != user_id, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def my_submissions(user_id: int) -> Select:
    """The user's own submissions, newest first."""
    return (
        select(Submission)
        .where(Submission.trainee_id == user_id)
        .options(joinedload(Submission.card))
        .order_by(Submission.id.desc())
    )


def events(submission_id: int) -> list[SubmissionEvent]:
    """A submission's history, oldest first, with the actors."""
    return list(
        db.session.scalars(
            select(SubmissionEvent)
            .where(SubmissionEvent.submission_id == submission_id)
            .options(joinedload(SubmissionEvent.actor))
            .order_by(SubmissionEvent.id)
        )
    )


def last_event(submission_id: int) -> SubmissionEvent | None:
    """The latest change to a submission."""
    return db.session.scalar(
        select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == submission_id)
        .options(joinedload(SubmissionEvent.actor))
        .order_by(SubmissionEvent.id.desc())
        .limit(1)
    )


def nav_counts(user: User) -> tuple[int, int]:
    """Unread notifications and (for instructors) submissions waiting to be graded, in one query."""
    unread = unread_count(user.id)
    waiting = (
        select(func.count())
        .select_from(Submission)
        .where(
            Submission.status.in_(WAITING),
            Submission.trainee_id.in_(taught_trainee_ids(user.id)),
            Submission.trainee_id != user.id,
        )
        .scalar_subquery()
        if user.has_role("instructor")
        else select(0).scalar_subquery()
    )
    row = db.session.execute(select(unread, waiting)).one()
    return int(row[0] or 0), int(row[1] or 0)


def instructor_ids_of(trainee_id: int) -> list[int]:
    """The active instructors of the cohorts the trainee belongs to (never the trainee)."""
    cohorts = select(CohortMember.cohort_id).where(CohortMember.user_id == trainee_id, CohortMember.role == "trainee")
    query = (
        select(User.id)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(
            CohortMember.cohort_id.in_(cohorts),
            CohortMember.role == "instructor",
            User.active.is_(True),
            User.id != trainee_id,
        )
        .distinct()
        .order_by(User.id)
    )
    return list(db.session.scalars(query))


def marks(submission_id: int) -> list[Mark]:
    """A submission's blind marks (drafts and saved), oldest first, with their graders."""
    return list(
        db.session.scalars(
            select(Mark).where(Mark.submission_id == submission_id).options(joinedload(Mark.grader)).order_by(Mark.id)
        )
    )


def marks_by_submission(submission_ids: list[int]) -> dict[int, list[Mark]]:
    """The saved blind marks of several submissions (one query), for the queue's badges."""
    found: dict[int, list[Mark]] = {i: [] for i in submission_ids}
    if submission_ids:
        query = select(Mark).where(Mark.submission_id.in_(submission_ids), Mark.role.is_not(None)).order_by(Mark.id)
        for mark in db.session.scalars(query):
            found[mark.submission_id].append(mark)
    return found


def anchor_of(submission_id: int) -> Anchor | None:
    """The calibration anchor made of a submission, if any."""
    return db.session.scalar(select(Anchor).where(Anchor.submission_id == submission_id))


def anchors(user_id: int, include_inactive: bool = False) -> list[tuple[Anchor, CalibrationMark | None]]:
    """Calibration anchors with the user's latest attempt at each (two queries)."""
    query = (
        select(Anchor)
        .options(joinedload(Anchor.submission).joinedload(Submission.card), joinedload(Anchor.rubric_version))
        .order_by(Anchor.id)
    )
    if not include_inactive:
        query = query.where(Anchor.active.is_(True))
    found = list(db.session.scalars(query))
    latest: dict[int, CalibrationMark] = {}
    if found:
        marks = select(CalibrationMark).where(
            CalibrationMark.grader_id == user_id, CalibrationMark.anchor_id.in_([a.id for a in found])
        )
        for mark in db.session.scalars(marks.order_by(CalibrationMark.id)):
            latest[mark.anchor_id] = mark
    return [(anchor, latest.get(anchor.id)) for anchor in found]


def latest_calibration(anchor_id: int, user_id: int) -> CalibrationMark | None:
    """The user's latest grade of an anchor."""
    return db.session.scalar(
        select(CalibrationMark)
        .where(CalibrationMark.anchor_id == anchor_id, CalibrationMark.grader_id == user_id)
        .order_by(CalibrationMark.id.desc())
        .limit(1)
    )


def cohort_trainees(cohort_id: int) -> list[User]:
    """The active trainees of one cohort, by name (a live class's list)."""
    members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id, CohortMember.role == "trainee")
    query = select(User).where(User.id.in_(members), User.active.is_(True)).order_by(User.name, User.id)
    return list(db.session.scalars(query))


def live_scored(card_id: int, trainee_ids: list[int]) -> dict[int, Submission]:
    """Each trainee's latest live performance of a card (one query), for the session's class list."""
    if not trainee_ids:
        return {}
    latest = (
        select(func.max(Submission.id))
        .where(Submission.card_id == card_id, Submission.live.is_(True), Submission.trainee_id.in_(trainee_ids))
        .group_by(Submission.trainee_id)
    )
    return {s.trainee_id: s for s in db.session.scalars(select(Submission).where(Submission.id.in_(latest)))}


def plays_service_role_live(user_id: int, card_id: int) -> bool:
    """Whether the user has a live performance of the card waiting to be graded (they play the service role)."""
    query = (
        select(func.count())
        .select_from(Submission)
        .where(
            Submission.trainee_id == user_id,
            Submission.card_id == card_id,
            Submission.live.is_(True),
            Submission.status.in_(WAITING),
        )
    )
    return bool(db.session.scalar(query))


def module_titles(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The titles of modules by (course slug, module slug), for the assistant's source links (one query)."""
    if not pairs:
        return {}
    query = (
        select(Course.slug, Module.slug, Module.title)
        .join(Module, Module.course_id == Course.id)
        .where(
            Course.slug.in_({c for c, _m in pairs}),
            Module.slug.in_({m for _c, m in pairs}),
            Course.archived.is_(False),
            Module.archived.is_(False),
        )
    )
    return {(c, m): t for c, m, t in db.session.execute(query) if (c, m) in pairs}
