"""The home page's reads: one person's to-do list, news and courses (a fixed number of queries).

The to-do list is a read over several rooms: the enrolments and reading progress of learning, the
checklist of completion (``rules.evaluate``: every requirement of a course, so a course's progress
counts its knowledge checks and role-plays as well as its modules), the submissions of roleplay and
the certificates of completion. However many courses a person has, it runs the same statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from app.accounts.models import Cohort, CohortMember, User
from app.completion.enums import CertificateStatus, ItemKind, ItemState
from app.completion.models import Certificate
from app.completion.rules import Checklist, evaluate
from app.core.time import utcnow
from app.extensions import db
from app.learning.models import Course, Enrolment, Module, ModuleProgress
from app.reports.queries import today
from app.roleplay.enums import SubmissionStatus
from app.roleplay.models import Submission

RECENT_DAYS = 14  # a grade or certificate this recent is news
RETURNED = SubmissionStatus.RETURNED  # a to-do kind too: a role-play returned for revision
KIND_ORDER: dict[str, int] = {RETURNED: 0, ItemKind.MODULE: 1, ItemKind.QUIZ: 2, ItemKind.ROLEPLAY: 3}


@dataclass
class Todo:
    """One thing to do: the next module of a course, a quiz or role-play to pass, a returned role-play."""

    kind: str
    slug: str
    title: str
    course: Course
    due: date | None
    state: str = ItemState.TODO
    remaining: int = 0  # modules: how many are still unread in the course
    submission_id: int | None = None

    def overdue(self, on: date) -> bool:
        """Whether the due date has passed."""
        return self.due is not None and self.due < on


@dataclass
class CourseRow:
    """A course with the person's checklist, due date and certificate."""

    course: Course
    checklist: Checklist
    due: date | None
    certificate: Certificate | None

    @property
    def percent(self) -> int:
        """Requirements done or waived, as a whole percentage of all of them."""
        total = self.checklist.total
        return round(100 * self.checklist.done / total) if total else 0


@dataclass
class News:
    """A recent grade or certificate."""

    kind: str  # graded | certificate
    at: datetime
    submission: Submission | None = None
    certificate: Certificate | None = None


@dataclass
class Home:
    """What the home page shows a trainee."""

    today: date
    resume: Todo | None = None
    todos: list[Todo] = field(default_factory=list)
    news: list[News] = field(default_factory=list)
    courses: list[CourseRow] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        """Number of overdue to-dos (the one to resume included)."""
        items = [*self.todos, *([self.resume] if self.resume else [])]
        return sum(item.overdue(self.today) for item in items)


def trainee_home(user: User) -> Home:
    """The person's to-do list (overdue first), recent grades and certificates, and their courses."""
    home = Home(today=today())
    rows = db.session.execute(
        select(Course, Enrolment.due_date)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id, Course.archived.is_(False))
        .order_by(Course.position, Course.id)
    ).all()
    courses = [course for course, _ in rows]
    due = {course.id: due_date for course, due_date in rows}
    checklists = evaluate(user.id, courses)
    submissions = _submissions(user.id)
    certificates = {
        c.course_id: c  # the latest per course wins: valid, or revoked / expired
        for c in db.session.scalars(
            select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at, Certificate.id)
        )
    }
    returned = {s.card.slug: s for s in submissions if s.status == SubmissionStatus.RETURNED}
    by_id = {course.id: course for course in courses}

    for course in courses:
        checklist = checklists[course.id]
        home.courses.append(CourseRow(course, checklist, due[course.id], certificates.get(course.id)))
        unread = [item for item in checklist.missing if item.kind == ItemKind.MODULE]
        if unread:
            first = unread[0]
            home.todos.append(
                Todo(ItemKind.MODULE, first.slug, first.title, course, due[course.id], remaining=len(unread))
            )
        for item in checklist.missing:
            if item.kind == ItemKind.QUIZ or (
                item.kind == ItemKind.ROLEPLAY and item.state != ItemState.PENDING and item.slug not in returned
            ):
                home.todos.append(Todo(item.kind, item.slug, item.title, course, due[course.id], item.state))
    for slug, submission in returned.items():
        of = by_id.get(submission.card.course_id)
        if of is not None:
            home.todos.append(
                Todo(RETURNED, slug, submission.card.title, of, due[of.id], RETURNED, submission_id=submission.id)
            )
    home.todos.sort(key=lambda t: (t.due is None, t.due or date.max, KIND_ORDER[t.kind], t.course.position))

    last = _last_read_course(user.id)
    home.resume = next((t for t in home.todos if t.kind == ItemKind.MODULE and t.course.id == last), None)
    if home.resume is not None:
        home.todos.remove(home.resume)

    since = utcnow() - timedelta(days=RECENT_DAYS)
    home.news = [
        News("graded", s.graded_at, submission=s)
        for s in submissions
        if s.status == SubmissionStatus.GRADED and s.graded_at is not None and s.graded_at >= since
    ] + [
        News("certificate", c.issued_at, certificate=c)
        for c in certificates.values()
        if c.issued_at >= since and c.status == CertificateStatus.VALID
    ]
    home.news.sort(key=lambda n: n.at, reverse=True)
    return home


def _submissions(user_id: int) -> list[Submission]:
    """The person's returned role-plays (latest attempt per card) and recently graded ones, with their cards."""
    latest = select(func.max(Submission.id)).where(Submission.trainee_id == user_id).group_by(Submission.card_id)
    since = utcnow() - timedelta(days=RECENT_DAYS)
    return list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.trainee_id == user_id,
                or_(
                    and_(Submission.id.in_(latest), Submission.status == SubmissionStatus.RETURNED),
                    and_(Submission.status == SubmissionStatus.GRADED, Submission.graded_at >= since),
                ),
            )
            .options(joinedload(Submission.card))
            .order_by(Submission.id)
        )
    )


def _last_read_course(user_id: int) -> int | None:
    """The course of the module the person marked as read last."""
    return db.session.scalar(
        select(Module.course_id)
        .join(ModuleProgress, ModuleProgress.module_id == Module.id)
        .where(ModuleProgress.user_id == user_id)
        .order_by(ModuleProgress.completed_at.desc(), ModuleProgress.id.desc())
        .limit(1)
    )


def taught_cohorts(user_id: int) -> list[Cohort]:
    """The cohorts an instructor teaches, by name."""
    return list(
        db.session.scalars(
            select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user_id, CohortMember.role == "instructor")
            .order_by(Cohort.name)
        )
    )
