"""Completion rules: what each course requires, and one person's checklist (reads only).

A course's ``completion`` (from course.md) names modules (``all`` or slugs), knowledge checks and
role-play cards. An item is *done* when the module is read, a submitted attempt passed, or a graded
submission passed; *waived* when HR excused it. The course is complete when every item is done or
waived and at least one is done (waivers alone never complete a course), or when HR waived the whole
course (免修, a ``CourseWaiver``); in progress when anything has happened, otherwise not started.

A renewable course starts a new cycle when a certificate expires (``CourseCompletion.cycle_started_at``):
reads, attempts, submissions and waivers from before the cycle start no longer count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import defer

from app.assessments.enums import AttemptStatus
from app.assessments.models import Attempt, Quiz
from app.completion.enums import SATISFIED, CompletionStatus, ItemKind, ItemState
from app.completion.models import CourseCompletion, CourseWaiver, Waiver
from app.extensions import db
from app.learning.models import Course, Module, ModuleProgress
from app.roleplay.enums import WAITING, SubmissionStatus
from app.roleplay.models import RoleplayCard, Submission

_Slugged = TypeVar("_Slugged", Quiz, RoleplayCard)


@dataclass(frozen=True)
class Requirement:
    """One thing a course requires: a module to read, a quiz to pass or a role-play to pass."""

    kind: str
    slug: str
    title: str
    ref_id: int


@dataclass
class Item:
    """One requirement with one person's state: done | waived | pending | failed | todo."""

    kind: str
    slug: str
    title: str
    state: str = ItemState.TODO
    score: int | None = None
    max: int | None = None
    waiver: Waiver | None = None

    @property
    def satisfied(self) -> bool:
        """Whether this item counts towards completion."""
        return self.state in SATISFIED

    def stored(self) -> dict:
        """The JSON form kept on CourseCompletion.items (titles come from the content)."""
        return {"kind": self.kind, "slug": self.slug, "state": self.state, "score": self.score, "max": self.max}


@dataclass
class Checklist:
    """What one person has done and still lacks in one course."""

    course: Course
    items: list[Item] = field(default_factory=list)
    course_waiver: CourseWaiver | None = None  # 免修: the whole course excused by HR

    @property
    def total(self) -> int:
        """Number of items."""
        return len(self.items)

    @property
    def done(self) -> int:
        """Items done or waived."""
        return sum(item.satisfied for item in self.items)

    @property
    def missing(self) -> list[Item]:
        """Items neither done nor waived."""
        return [item for item in self.items if not item.satisfied]

    @property
    def status(self) -> str:
        """not_started | in_progress | complete."""
        return status_of([item.state for item in self.items], course_waived=self.course_waiver is not None)


def status_of(states: list[str], *, course_waived: bool = False) -> str:
    """The course status for a list of item states (waived items alone never complete a course)."""
    if course_waived:
        return CompletionStatus.COMPLETE
    if ItemState.DONE in states and all(state in SATISFIED for state in states):
        return CompletionStatus.COMPLETE
    if any(state != ItemState.TODO for state in states):
        return CompletionStatus.IN_PROGRESS
    return CompletionStatus.NOT_STARTED


def requirements(courses: Iterable[Course]) -> dict[int, list[Requirement]]:
    """The requirements of each course, in checklist order (at most three queries)."""
    courses = list(courses)
    out: dict[int, list[Requirement]] = {c.id: [] for c in courses}
    if not courses:
        return out
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id.in_([c.id for c in courses]), Module.archived.is_(False))
        .order_by(Module.course_id, Module.position)
        .options(defer(Module.body_html))  # titles and ids only: the rendered HTML is large
    ).all()
    by_course: dict[int, list[Module]] = defaultdict(list)
    for module in modules:
        by_course[module.course_id].append(module)
    quiz_slugs = {s for c in courses for s in (c.completion or {}).get("quizzes", [])}
    card_slugs = {s for c in courses for s in (c.completion or {}).get("roleplays", [])}
    quizzes = _by_slug(Quiz, quiz_slugs)
    cards = _by_slug(RoleplayCard, card_slugs)
    for course in courses:
        rules = course.completion or {}
        wanted = rules.get("modules", "all")
        for module in by_course[course.id]:
            if wanted == "all" or module.slug in wanted:
                out[course.id].append(Requirement(ItemKind.MODULE, module.slug, module.title, module.id))
        for kind, key, found in ((ItemKind.QUIZ, "quizzes", quizzes), (ItemKind.ROLEPLAY, "roleplays", cards)):
            for slug in rules.get(key, []):
                if slug in found:
                    out[course.id].append(Requirement(kind, slug, found[slug].title, found[slug].id))
    return out


def _by_slug(model: type[_Slugged], slugs: set[str]) -> dict[str, _Slugged]:
    if not slugs:
        return {}
    rows = db.session.scalars(select(model).where(model.slug.in_(slugs), model.archived.is_(False)))
    return {row.slug: row for row in rows}


def evaluate(user_id: int, courses: Iterable[Course]) -> dict[int, Checklist]:
    """One person's checklist for each course, computed from the records (a fixed number of queries per cycle start)."""
    courses = list(courses)
    reqs = requirements(courses)
    cycles = _cycle_starts(user_id, [c.id for c in courses])
    by_start: dict[datetime | None, list[Course]] = defaultdict(list)
    for course in courses:
        by_start[cycles.get(course.id)].append(course)
    waivers = _waivers(user_id, [c.id for c in courses])
    course_waivers = _course_waivers(user_id, [c.id for c in courses])
    out = {}
    for since, group in by_start.items():
        every = [r for course in group for r in reqs[course.id]]
        ids = {kind: [r.ref_id for r in every if r.kind == kind] for kind in ItemKind}
        read = _read_modules(user_id, ids[ItemKind.MODULE], since)
        quiz_results = _quiz_results(user_id, ids[ItemKind.QUIZ], since)
        roleplay_results = _roleplay_results(user_id, ids[ItemKind.ROLEPLAY], since)
        for course in group:
            checklist = Checklist(course, course_waiver=_current(course_waivers.get(course.id), since))
            for req in reqs[course.id]:
                item = Item(req.kind, req.slug, req.title)
                if req.kind == ItemKind.MODULE:
                    item.state = ItemState.DONE if req.ref_id in read else ItemState.TODO
                else:
                    results = quiz_results if req.kind == ItemKind.QUIZ else roleplay_results
                    item.state, item.score, item.max = results.get(req.ref_id, (ItemState.TODO, None, None))
                item.waiver = _current(waivers.get((course.id, req.kind, req.slug)), since)
                if item.waiver is not None and item.state != ItemState.DONE:
                    item.state = ItemState.WAIVED
                checklist.items.append(item)
            out[course.id] = checklist
    return {course.id: out[course.id] for course in courses}


_W = TypeVar("_W", Waiver, CourseWaiver)


def _current(waiver: _W | None, since: datetime | None) -> _W | None:
    """A waiver that counts in the cycle starting at ``since`` (one granted before it does not)."""
    if waiver is None or since is None or waiver.created_at >= since:
        return waiver
    return None


def _cycle_starts(user_id: int, course_ids: list[int]) -> dict[int, datetime]:
    """The start of the current cycle per course, where a certificate expired (usually none)."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(CourseCompletion.course_id, CourseCompletion.cycle_started_at).where(
            CourseCompletion.user_id == user_id,
            CourseCompletion.course_id.in_(course_ids),
            CourseCompletion.cycle_started_at.is_not(None),
        )
    )
    return {course_id: started for course_id, started in rows if started is not None}


def _course_waivers(user_id: int, course_ids: list[int]) -> dict[int, CourseWaiver]:
    if not course_ids:
        return {}
    rows = db.session.scalars(
        select(CourseWaiver).where(CourseWaiver.user_id == user_id, CourseWaiver.course_id.in_(course_ids))
    )
    return {w.course_id: w for w in rows}


def _read_modules(user_id: int, module_ids: list[int], since: datetime | None = None) -> set[int]:
    if not module_ids:
        return set()
    query = select(ModuleProgress.module_id).where(
        ModuleProgress.user_id == user_id, ModuleProgress.module_id.in_(module_ids)
    )
    if since is not None:
        query = query.where(ModuleProgress.completed_at >= since)
    return set(db.session.scalars(query))


def _quiz_results(
    user_id: int, quiz_ids: list[int], since: datetime | None = None
) -> dict[int, tuple[ItemState, int | None, int | None]]:
    """Per quiz: (done | failed, best percent, None) over submitted attempts (since the cycle start)."""
    if not quiz_ids:
        return {}
    query = select(
        Attempt.quiz_id, func.max(case((Attempt.passed.is_(True), 1), else_=0)), func.max(Attempt.percent)
    ).where(Attempt.user_id == user_id, Attempt.quiz_id.in_(quiz_ids), Attempt.status == AttemptStatus.SUBMITTED)
    if since is not None:
        query = query.where(Attempt.submitted_at >= since)
    rows = db.session.execute(query.group_by(Attempt.quiz_id))
    return {quiz_id: (ItemState.DONE if passed else ItemState.FAILED, best, None) for quiz_id, passed, best in rows}


def _roleplay_results(
    user_id: int, card_ids: list[int], since: datetime | None = None
) -> dict[int, tuple[ItemState, int | None, int | None]]:
    """Per card: (done | pending | failed, best graded total, its rubric maximum); drafts do not count."""
    if not card_ids:
        return {}
    graded = Submission.status == SubmissionStatus.GRADED
    query = (
        select(
            Submission.card_id,
            func.max(case((and_(graded, Submission.passed.is_(True)), 1), else_=0)),
            func.max(case((Submission.status.in_(WAITING), 1), else_=0)),
            func.max(case((graded, Submission.total))),
            func.max(case((graded, Submission.max_points))),
        )
        .where(
            Submission.trainee_id == user_id,
            Submission.card_id.in_(card_ids),
            Submission.status.in_((SubmissionStatus.GRADED, *WAITING)),
        )
        .group_by(Submission.card_id)
    )
    if since is not None:
        query = query.where(func.coalesce(Submission.submitted_at, Submission.created_at) >= since)
    rows = db.session.execute(query)
    out = {}
    for card_id, passed, waiting, best, most in rows:
        state = ItemState.DONE if passed else ItemState.PENDING if waiting else ItemState.FAILED
        out[card_id] = (state, best, most)
    return out


def _waivers(user_id: int, course_ids: list[int]) -> dict[tuple[int, str, str], Waiver]:
    if not course_ids:
        return {}
    rows = db.session.scalars(select(Waiver).where(Waiver.user_id == user_id, Waiver.course_id.in_(course_ids)))
    return {(w.course_id, w.kind, w.slug): w for w in rows}
