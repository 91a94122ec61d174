"""Completion rules: what each course requires, and one person's checklist (reads only).

A course's ``completion`` (from course.md) names modules (``all`` or slugs), knowledge checks and
role-play cards. An item is *done* when the module is read, a submitted attempt passed, or a graded
submission passed; *waived* when HR excused it. The course is complete when every item is done or
waived, in progress when anything has happened, otherwise not started.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import defer

from app.assessments.enums import AttemptStatus
from app.assessments.models import Attempt, Quiz
from app.completion.enums import SATISFIED, CompletionStatus, ItemKind, ItemState
from app.completion.models import Waiver
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
        return status_of([item.state for item in self.items])


def status_of(states: list[str]) -> str:
    """The course status for a list of item states."""
    if states and all(state in SATISFIED for state in states):
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
    """One person's checklist for each course, computed from the records (a fixed number of queries)."""
    courses = list(courses)
    reqs = requirements(courses)
    every = [r for items in reqs.values() for r in items]
    ids = {kind: [r.ref_id for r in every if r.kind == kind] for kind in ItemKind}
    read = _read_modules(user_id, ids[ItemKind.MODULE])
    quiz_results = _quiz_results(user_id, ids[ItemKind.QUIZ])
    roleplay_results = _roleplay_results(user_id, ids[ItemKind.ROLEPLAY])
    waivers = _waivers(user_id, [c.id for c in courses])
    out = {}
    for course in courses:
        checklist = Checklist(course)
        for req in reqs[course.id]:
            item = Item(req.kind, req.slug, req.title)
            if req.kind == ItemKind.MODULE:
                item.state = ItemState.DONE if req.ref_id in read else ItemState.TODO
            else:
                results = quiz_results if req.kind == ItemKind.QUIZ else roleplay_results
                item.state, item.score, item.max = results.get(req.ref_id, (ItemState.TODO, None, None))
            item.waiver = waivers.get((course.id, req.kind, req.slug))
            if item.waiver is not None and item.state != ItemState.DONE:
                item.state = ItemState.WAIVED
            checklist.items.append(item)
        out[course.id] = checklist
    return out


def _read_modules(user_id: int, module_ids: list[int]) -> set[int]:
    if not module_ids:
        return set()
    return set(
        db.session.scalars(
            select(ModuleProgress.module_id).where(
                ModuleProgress.user_id == user_id, ModuleProgress.module_id.in_(module_ids)
            )
        )
    )


def _quiz_results(user_id: int, quiz_ids: list[int]) -> dict[int, tuple[ItemState, int | None, int | None]]:
    """Per quiz: (done | failed, best percent, None) over submitted attempts."""
    if not quiz_ids:
        return {}
    rows = db.session.execute(
        select(Attempt.quiz_id, func.max(case((Attempt.passed.is_(True), 1), else_=0)), func.max(Attempt.percent))
        .where(Attempt.user_id == user_id, Attempt.quiz_id.in_(quiz_ids), Attempt.status == AttemptStatus.SUBMITTED)
        .group_by(Attempt.quiz_id)
    )
    return {quiz_id: (ItemState.DONE if passed else ItemState.FAILED, best, None) for quiz_id, passed, best in rows}


def _roleplay_results(user_id: int, card_ids: list[int]) -> dict[int, tuple[ItemState, int | None, int | None]]:
    """Per card: (done | pending | failed, best graded total, its rubric maximum); drafts do not count."""
    if not card_ids:
        return {}
    graded = Submission.status == SubmissionStatus.GRADED
    rows = db.session.execute(
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
