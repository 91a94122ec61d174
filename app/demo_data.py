"""Test data at scale for ``flask demo --size``: trainees with a realistic learning history.

Sizes S, M, L and XL make 100, 1,000, 10,000 and 50,000 trainees, in departments and cohorts of 25
(one instructor per four cohorts, one HR account per 5,000 trainees), with course assignments and
due dates (some past), modules read, quiz attempts with every answer, self-test results, role-play
submissions in every grading state with rubric scores and history, a few waivers, and the
completion records, certificates and notifications that the completion room stores for that
history — the same rows ``flask completion recompute`` would write.

Rows go in with SQLAlchemy Core ``insert()`` executemany in batches, in one transaction: a run adds
the whole data set or nothing. Every generated account has the password :data:`PASSWORD`, hashed
once. The random seed is fixed per size, so a size always makes the same people and history (dates
are relative to the day it runs; certificate codes are secret and random, as the completion room
makes them). Generating a size that is already in the database does nothing
and says so; it is recognised by its first trainee, ``<size>-t00001``.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import Table, func, insert, inspect, select, text
from werkzeug.security import generate_password_hash

from app.accounts.models import Cohort, CohortMember, Department, User, UserRole
from app.assessments import pools
from app.assessments.enums import AttemptStatus, QuizKind
from app.assessments.models import Attempt, AttemptAnswer, Quiz
from app.assessments.scoring import on_paper
from app.assessments.services import make_order, score
from app.completion import notices
from app.completion.codes import new_code
from app.completion.enums import CompletionStatus, ItemKind, ItemState
from app.completion.models import Certificate, CourseCompletion, Waiver
from app.completion.rules import SATISFIED, Item, Requirement, requirements, status_of
from app.core.time import utcnow
from app.core.urls import path_for
from app.extensions import db
from app.learning import enrolments
from app.learning.models import Assignment, Course, Module, ModuleProgress
from app.notifications.models import Notification
from app.roleplay import scoring
from app.roleplay.enums import GradingEvent, SubmissionStatus
from app.roleplay.models import (
    CriterionScore,
    RoleplayCard,
    Rubric,
    RubricVersion,
    Submission,
    SubmissionEvent,
)

SIZES = {"S": 100, "M": 1_000, "L": 10_000, "XL": 50_000}
PASSWORD = "bench-pass-2024"  # noqa: S105  (the published password of every generated demo account)
TRAINEES_PER_COHORT = 25
COHORTS_PER_INSTRUCTOR = 4
TRAINEES_PER_HR = 5_000
BATCH = 5_000

REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]
UNITS = ["门店销售部", "呼叫中心", "售后服务部", "安装维修部", "客户关系部", "电商客服部"]
POSITIONS = ["导购", "客服专员", "热线座席", "安装技师", "维修专员", "客服顾问", "店长助理"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯鹏辉晨悦欣怡佳琪雪梅晓婷倩颖思远文博子涵梓轩雨桐"
RESPONSES = [
    "先请客户坐下，倒一杯水，耐心听他把情况讲完，复述他的不满并表示理解，再说明我们马上能做的处理办法。",
    "向客户道歉，确认订单信息和问题细节，告诉客户处理时限，并约定在今天下班前回电告知进展。",
    "认可客户的感受，不争辩，给出两个可选的解决方案让客户选择，最后感谢客户提出意见。",
    "先处理心情再处理事情：让客户充分表达，记录要点，说明原因但不推卸责任，给出补救措施并跟进回访。",
]
OVERALL = [
    "整体表现不错，注意语速再放慢一些。",
    "共情做得好，方案说明可以更具体。",
    "流程完整，结束时别忘了确认客户是否满意。",
    "",
]
RETURN_NOTE = "请补充你会如何向客户说明处理时限，并重新提交。"
WAIVER_REASON = "已参加线下集中演练并考核合格，豁免线上角色扮演。"


class Outcome(StrEnum):
    """Where a generated role-play history ends (this module's own labels, not submission statuses)."""

    NONE = "none"
    DRAFT = "draft"
    WAITING = "waiting"
    RETURNED = "returned"
    FAILED = "failed"
    PASSED = "passed"


ROLEPLAY_OUTCOMES = [
    (Outcome.NONE, 40),
    (Outcome.DRAFT, 8),
    (Outcome.WAITING, 22),
    (Outcome.RETURNED, 8),
    (Outcome.FAILED, 14),
    (Outcome.PASSED, 8),
]
OUTCOME_STATUS: dict[str, SubmissionStatus] = {  # the submission an outcome leaves (graded otherwise)
    Outcome.DRAFT: SubmissionStatus.DRAFT,
    Outcome.WAITING: SubmissionStatus.SUBMITTED,
    Outcome.RETURNED: SubmissionStatus.RETURNED,
}


class DemoDataError(RuntimeError):
    """The data set cannot be generated (no content loaded, tables missing)."""


@dataclass
class Result:
    """What a run added: rows per table, and how long it took."""

    label: str
    trainees: int
    created: bool
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for the console."""
        if not self.created:
            return f"Data set {self.label} is already in this database; nothing was added."
        rows = ", ".join(f"{name} {count:,}" for name, count in self.counts.most_common())
        return (
            f"Data set {self.label}: {self.trainees:,} trainees, {sum(self.counts.values()):,} rows in "
            f"{self.seconds:.1f} s ({rows}).\nEvery generated account uses the password {PASSWORD}; e.g. "
            f"{self.label.lower()}-t00001 (trainee), {self.label.lower()}-i0001 (instructor), "
            f"{self.label.lower()}-hr01 (hr)."
        )


@dataclass
class QuizInfo:
    """A live quiz with its current version."""

    id: int
    version_id: int
    course_id: int | None
    definition: dict[str, Any]
    order: dict[str, Any]


@dataclass
class CardInfo:
    """A live role-play card with its rubric's current version."""

    id: int
    title: str
    pass_percent: int
    version_id: int
    definition: dict[str, Any]
    max_points: int


@dataclass
class Content:
    """The loaded content the history refers to."""

    courses: list[Course]
    modules: dict[int, list[int]]
    reqs: dict[int, list[Requirement]]
    quizzes: dict[int, QuizInfo]
    cards: dict[int, CardInfo]
    self_tests: list[QuizInfo]


@dataclass
class Person:
    """One trainee's records while the generator writes them (what completion is computed from)."""

    id: int
    name: str
    read: dict[int, datetime] = field(default_factory=dict)
    quizzes: dict[int, list[tuple[datetime, bool, int]]] = field(default_factory=lambda: defaultdict(list))
    cards: dict[int, list[tuple[datetime, str, bool | None, int | None, int | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    waivers: dict[tuple[int, str, str], datetime] = field(default_factory=dict)


def generate(label: str, trainees: int, seed: str | None = None) -> Result:
    """Add a data set of ``trainees`` trainees named ``<label>-…`` with their history (nothing if present)."""
    started = time.perf_counter()
    prefix = label.lower()
    _check_tables()
    if db.session.scalar(select(User.id).where(User.username == f"{prefix}-t00001")) is not None:
        return Result(label, trainees, created=False)
    generator = _Generator(prefix, trainees, random.Random(seed or f"service-academy-{label}"), _content())
    try:
        generator.run()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Result(label, trainees, True, generator.writer.counts, time.perf_counter() - started)


def generate_size(size: str) -> Result:
    """Generate one of the named sizes S, M, L, XL."""
    return generate(size.upper(), SIZES[size.upper()])


def _check_tables() -> None:
    """Refuse clearly when the schema lacks a table the generator fills."""
    present = set(inspect(db.session.connection()).get_table_names())
    missing = sorted(set(db.metadata.tables) - present)
    if missing:
        raise DemoDataError(
            "the database lacks tables "
            + ", ".join(missing)
            + ": run `flask db upgrade` (migrations behind the models?)"
        )


def _content() -> Content:
    """Snapshot the live courses, modules, requirements, quizzes and cards."""
    courses = list(db.session.scalars(select(Course).where(Course.archived.is_(False)).order_by(Course.position)))
    if not courses:
        raise DemoDataError("no courses are loaded: run `flask content load` (or `flask demo`) first")
    modules: dict[int, list[int]] = defaultdict(list)
    for course_id, module_id in db.session.execute(
        select(Module.course_id, Module.id)
        .where(Module.archived.is_(False))
        .order_by(Module.course_id, Module.position)
    ):
        modules[course_id].append(module_id)
    quizzes = {}
    for quiz in db.session.scalars(
        select(Quiz).where(Quiz.archived.is_(False), Quiz.current_version_id.is_not(None)).order_by(Quiz.slug)
    ):
        definition = quiz.current_version.definition
        quizzes[quiz.id] = QuizInfo(
            quiz.id, quiz.current_version_id, quiz.course_id, definition, make_order(definition, False)
        )
    cards = {}
    for card, version in db.session.execute(
        select(RoleplayCard, RubricVersion)
        .join(Rubric, Rubric.id == RoleplayCard.rubric_id)
        .join(RubricVersion, RubricVersion.id == Rubric.current_version_id)
        .where(RoleplayCard.archived.is_(False))
    ):
        cards[card.id] = CardInfo(
            card.id, card.title, card.pass_percent, version.id, version.definition, version.max_points
        )
    self_tests = [q for q in quizzes.values() if q.definition["kind"] != QuizKind.KNOWLEDGE]
    return Content(courses, modules, requirements(courses), quizzes, cards, self_tests)


class _Writer:
    """Buffers rows per table and inserts them with executemany, parents before children."""

    ORDER: list[Table] = [
        m.__table__
        for m in (
            Department,
            User,
            UserRole,
            Cohort,
            CohortMember,
            Assignment,
            ModuleProgress,
            Attempt,
            AttemptAnswer,
            Submission,
            CriterionScore,
            SubmissionEvent,
            Waiver,
            CourseCompletion,
            Certificate,
            Notification,
        )
    ]

    def __init__(self) -> None:
        self.connection = db.session.connection()
        self.rows: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        self.pending = 0
        self.counts: Counter = Counter()
        self.next_id = {
            table: (self.connection.scalar(select(func.max(table.c.id))) or 0) + 1
            for table in (
                Department.__table__,
                User.__table__,
                Cohort.__table__,
                Attempt.__table__,
                Submission.__table__,
            )
        }

    def new_id(self, table: Table) -> int:
        """The next explicit primary key of a parent table (children refer to it before the insert)."""
        value = self.next_id[table]
        self.next_id[table] += 1
        return value

    def add(self, model: Any, **row: Any) -> None:
        """Queue one row; insert everything queued once a batch is full."""
        self.rows[model.__table__].append(row)
        self.pending += 1
        if self.pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Insert every queued row, table by table in dependency order."""
        for table in self.ORDER:
            rows = self.rows.pop(table, None)
            if rows:
                self.connection.execute(insert(table), rows)
                self.counts[table.name] += len(rows)
        self.pending = 0

    def finish(self) -> None:
        """Insert what is left, move PostgreSQL's id sequences past the explicit ids, refresh planner statistics.

        Without fresh statistics the planner takes the bulk-loaded tables for nearly empty ones and
        picks nested loops that make the reports several times slower until autovacuum catches up.
        """
        self.flush()
        enrolments.refresh(self.connection)
        if self.connection.dialect.name == "postgresql":
            for table in self.next_id:
                self.connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608  (table names from metadata)
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                    )
                )
        self.connection.execute(text("ANALYZE"))


class _Generator:
    """Writes one data set: people, groups, assignments, then each trainee's history and completion."""

    def __init__(self, prefix: str, trainees: int, rng: random.Random, content: Content) -> None:
        self.prefix, self.trainees, self.rng, self.content = prefix, trainees, rng, content
        self.writer = _Writer()
        self.now = utcnow().replace(microsecond=0)
        self.today = date.today()
        self.password_hash = generate_password_hash(PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"])
        self.employee_serial = 0
        self.hr_ids: list[int] = []

    def run(self) -> None:
        """Write the whole data set (the caller commits)."""
        cohorts = math.ceil(self.trainees / TRAINEES_PER_COHORT)
        departments = self._departments(min(len(REGIONS) * len(UNITS), max(3, round(self.trainees / 250))))
        trainer_dept, hr_dept = self._departments_named(["培训部", "人力资源部"])
        self.hr_ids = [
            self._user(f"hr{n:02d}", "hr", hr_dept, "人事专员").id
            for n in range(1, max(1, self.trainees // TRAINEES_PER_HR) + 1)
        ]
        instructors = [
            self._user(f"i{n:04d}", "instructor", trainer_dept, "培训讲师").id
            for n in range(1, math.ceil(cohorts / COHORTS_PER_INSTRUCTOR) + 1)
        ]
        dept_courses = self._department_assignments(departments)
        cohort_rows = []
        for number in range(cohorts):
            cohort_id = self.writer.new_id(Cohort.__table__)
            department_id = departments[number % len(departments)]
            instructor_id = instructors[number // COHORTS_PER_INSTRUCTOR]
            self.writer.add(
                Cohort,
                id=cohort_id,
                name=f"{self.prefix.upper()}-班组{number + 1:04d}",
                description="门店服务团队",
                created_at=self.now - timedelta(days=120),
            )
            self.writer.add(CohortMember, cohort_id=cohort_id, user_id=instructor_id, role="instructor")
            courses = self._cohort_assignments(cohort_id)
            cohort_rows.append((cohort_id, department_id, instructor_id, courses))
        for number in range(self.trainees):
            cohort_id, department_id, instructor_id, courses = cohort_rows[number // TRAINEES_PER_COHORT]
            person = self._user(f"t{number + 1:05d}", "trainee", department_id, self.rng.choice(POSITIONS))
            user_id = person.id
            self.writer.add(CohortMember, cohort_id=cohort_id, user_id=user_id, role="trainee")
            enrolled = set(courses) | dept_courses.get(department_id, set())
            if self.rng.random() < 0.01:
                extra = self.rng.choice(self.content.courses).id
                if extra not in enrolled:
                    self._assignment(extra, user_id=user_id, due=self.rng.randint(5, 30))
                    enrolled.add(extra)
            self._history(person, enrolled, instructor_id)
        self.writer.finish()

    # -- people, groups and assignments -------------------------------------------------------------

    def _departments(self, count: int) -> list[int]:
        names = [f"{REGIONS[i % len(REGIONS)]}区{UNITS[i // len(REGIONS)]}" for i in range(count)]
        return self._departments_named(names)

    def _departments_named(self, names: list[str]) -> list[int]:
        """Ids of departments by name, creating the missing ones."""
        existing = dict(
            db.session.execute(select(Department.name, Department.id).where(Department.name.in_(names))).all()
        )
        out = []
        for name in names:
            if name not in existing:
                existing[name] = self.writer.new_id(Department.__table__)
                self.writer.add(Department, id=existing[name], name=name, created_at=self.now - timedelta(days=365))
            out.append(existing[name])
        return out

    def _user(self, suffix: str, role: str, department_id: int, position: str) -> Person:
        user_id = self.writer.new_id(User.__table__)
        self.employee_serial += 1
        username = f"{self.prefix}-{suffix}"
        name = self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2, 2))))
        self.writer.add(
            User,
            id=user_id,
            username=username,
            name=name,
            email=f"{username}@example.com",
            employee_no=f"{self.prefix.upper()}{self.employee_serial:06d}",
            position=position,
            department_id=department_id,
            password_hash=self.password_hash,
            active=True,
            session_version=1,
            locale=None,
            created_at=self.now - timedelta(days=self.rng.randint(90, 900)),
            last_login_at=None,
        )
        self.writer.add(UserRole, user_id=user_id, role=role)
        return Person(user_id, name)

    def _assignment(
        self,
        course_id: int,
        *,
        due: int,
        department_id: int | None = None,
        cohort_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        self.writer.add(
            Assignment,
            course_id=course_id,
            cohort_id=cohort_id,
            department_id=department_id,
            user_id=user_id,
            due_date=self.today + timedelta(days=due),
            created_by_id=self.hr_ids[0],
            created_at=self.now - timedelta(days=100),
        )

    def _department_assignments(self, departments: list[int]) -> dict[int, set[int]]:
        """The first course (onboarding) is assigned to every department, unless it already is."""
        first = self.content.courses[0].id
        done = set(
            db.session.scalars(
                select(Assignment.department_id).where(
                    Assignment.course_id == first, Assignment.department_id.in_(departments)
                )
            )
        )
        for department_id in departments:
            due = self.rng.randint(-20, 40)  # drawn either way, so the seed gives the same history
            if department_id not in done:
                self._assignment(first, department_id=department_id, due=due)
        return {department_id: {first} for department_id in departments}

    def _cohort_assignments(self, cohort_id: int) -> list[int]:
        """Each cohort gets most of the other courses, with its own due dates (some already past)."""
        others = [c.id for c in self.content.courses[1:]] or [self.content.courses[0].id]
        chosen = [course_id for course_id in others if self.rng.random() < 0.6] or [self.rng.choice(others)]
        for course_id in chosen:
            self._assignment(course_id, cohort_id=cohort_id, due=self.rng.randint(-30, 60))
        return chosen

    # -- one trainee's history ----------------------------------------------------------------------

    def _history(self, person: Person, enrolled: set[int], instructor_id: int) -> None:
        """Reading, attempts, role-plays and waivers in the enrolled courses, then the completion rows."""
        rng = self.rng
        diligence = rng.betavariate(2, 2)
        for course in self.content.courses:
            if course.id not in enrolled or rng.random() > 0.2 + 0.75 * diligence:
                continue
            finish = rng.random() < diligence
            clock = self.now - timedelta(days=rng.uniform(14, 90))
            modules = self.content.modules.get(course.id, [])
            for module_id in modules[: len(modules) if finish else rng.randint(1, max(1, len(modules)))]:
                clock += timedelta(minutes=rng.randint(5, 40))
                person.read[module_id] = clock
                self.writer.add(ModuleProgress, user_id=person.id, module_id=module_id, completed_at=clock)
            for req in self.content.reqs[course.id]:
                if req.kind == ItemKind.QUIZ and req.ref_id in self.content.quizzes:
                    clock = self._quiz_history(person, self.content.quizzes[req.ref_id], finish, diligence, clock)
                elif req.kind == ItemKind.ROLEPLAY and req.ref_id in self.content.cards:
                    clock = self._roleplay_history(person, course.id, req, finish, instructor_id, clock)
        for quiz in self.content.self_tests:
            if (quiz.course_id is None or quiz.course_id in enrolled) and rng.random() < 0.35:
                clock = self.now - timedelta(days=rng.uniform(3, 60))
                for _ in range(rng.choice((1, 1, 2))):
                    clock = self._attempt(person, quiz, 0.5, clock)
        self._completion(person)

    def _quiz_history(
        self, person: Person, quiz: QuizInfo, finish: bool, diligence: float, clock: datetime
    ) -> datetime:
        """Finishers retake until they pass (the third attempt is perfect); others try once, or not at all."""
        if not finish:
            return self._attempt(person, quiz, 0.5 + 0.4 * diligence, clock) if self.rng.random() < 0.55 else clock
        for skill in (0.75 + 0.25 * diligence, 0.95, 1.0):
            clock = self._attempt(person, quiz, skill, clock)
            if person.quizzes[quiz.id][-1][1]:
                break
        return clock

    def _attempt(self, person: Person, quiz: QuizInfo, skill: float, clock: datetime) -> datetime:
        """One submitted attempt: answers right with probability ``skill``, scored by the assessments room."""
        rng = self.rng
        answers = {}
        order = quiz.order
        if quiz.definition.get("draw"):  # a pooled quiz: each attempt answers its own paper
            paper = pools.draw(quiz.definition["draw"], quiz.definition["questions"], (), rng)
            order = make_order(quiz.definition, False, rng, paper)
        definition = on_paper(quiz.definition, order)
        for question in definition["questions"]:
            keys = [o["key"] for o in question["options"]]
            right = sorted(question.get("answer") or [])
            if not right:  # self-assessment: any option
                chosen = [rng.choice(keys)]
            elif rng.random() < skill:
                chosen = right
            else:
                wrong = rng.choice([k for k in keys if k not in right] or keys)
                chosen = sorted({*right[1:], wrong}) if len(right) > 1 else [wrong]
            answers[question["id"]] = chosen if question["type"] == "multiple" else chosen[0]
        started = clock + timedelta(hours=rng.uniform(0.5, 24))
        submitted = started + timedelta(minutes=rng.randint(3, 15))
        attempt_id = self.writer.new_id(Attempt.__table__)
        result = score(definition, answers)
        self.writer.add(
            Attempt,
            id=attempt_id,
            user_id=person.id,
            quiz_id=quiz.id,
            quiz_version_id=quiz.version_id,
            status=AttemptStatus.SUBMITTED,
            order=order,
            started_at=started,
            submitted_at=submitted,
            **result,
        )
        for question_id, value in answers.items():
            self.writer.add(
                AttemptAnswer, attempt_id=attempt_id, question_id=question_id, value=value, saved_at=submitted
            )
        person.quizzes[quiz.id].append((submitted, bool(result["passed"]), result["percent"]))
        return submitted

    def _roleplay_history(
        self, person: Person, course_id: int, req: Requirement, finish: bool, instructor_id: int, clock: datetime
    ) -> datetime:
        """Finishers pass (some after a failed try; a few are waived); others stop at any state."""
        card = self.content.cards[req.ref_id]
        if finish and self.rng.random() < 0.02:
            clock += timedelta(days=1)
            person.waivers[(course_id, ItemKind.ROLEPLAY, req.slug)] = clock
            self.writer.add(
                Waiver,
                user_id=person.id,
                course_id=course_id,
                kind=ItemKind.ROLEPLAY,
                slug=req.slug,
                reason=WAIVER_REASON,
                by_id=self.hr_ids[0],
                created_at=clock,
            )
            return clock
        if finish:
            outcomes = [Outcome.FAILED, Outcome.PASSED] if self.rng.random() < 0.15 else [Outcome.PASSED]
        else:
            names, weights = zip(*ROLEPLAY_OUTCOMES, strict=True)
            outcomes = [self.rng.choices(names, weights)[0]]
        for outcome in outcomes:
            if outcome != Outcome.NONE:
                clock = self._submission(person, card, outcome, instructor_id, clock)
        return clock

    def _submission(self, person: Person, card: CardInfo, outcome: str, grader_id: int, clock: datetime) -> datetime:
        """One submission as the role-play services leave it: draft, waiting, returned or graded."""
        rng = self.rng
        submission_id = self.writer.new_id(Submission.__table__)
        created = clock + timedelta(hours=rng.uniform(1, 48))
        submitted = created + timedelta(minutes=rng.randint(5, 60))
        decided = submitted + timedelta(hours=rng.uniform(2, 72))
        response = rng.choice(RESPONSES)
        keys = [c["key"] for c in scoring.criteria(card.definition)]
        levels: dict[str, int] = {}
        if outcome in (Outcome.PASSED, Outcome.FAILED):
            levels = self._levels(card, outcome == Outcome.PASSED)
        points = scoring.total(card.definition, levels)
        graded = outcome in (Outcome.PASSED, Outcome.FAILED)
        passed = scoring.passed(points, card.max_points, card.pass_percent) if graded else None
        status = OUTCOME_STATUS.get(outcome, SubmissionStatus.GRADED)
        overall = RETURN_NOTE if outcome == Outcome.RETURNED else rng.choice(OVERALL) if graded else ""
        self.writer.add(
            Submission,
            id=submission_id,
            trainee_id=person.id,
            card_id=card.id,
            rubric_version_id=None if outcome == Outcome.DRAFT else card.version_id,
            status=status,
            response_text=response,
            audio_name=None,
            audio_mime=None,
            audio_size=None,
            live=False,
            partner_name=None,
            grader_id=grader_id if outcome in (Outcome.RETURNED, Outcome.PASSED, Outcome.FAILED) else None,
            total=points if graded else None,
            max_points=card.max_points if graded else None,
            pass_percent=card.pass_percent if graded else None,
            passed=passed,
            overall_comment=overall,
            created_at=created,
            submitted_at=None if outcome == Outcome.DRAFT else submitted,
            graded_at=decided if graded else None,
            updated_at=created if outcome == Outcome.DRAFT else decided if outcome != Outcome.WAITING else submitted,
            version_id=1 if outcome in (Outcome.DRAFT, Outcome.WAITING) else 2,
        )
        chars = {"chars": len(response), "audio": False}
        if outcome == Outcome.DRAFT:
            self._event(
                submission_id, person.id, "save", SubmissionStatus.DRAFT, SubmissionStatus.DRAFT, chars, created
            )
            return created
        self._event(
            submission_id, person.id, "submit", SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED, chars, submitted
        )
        if outcome == Outcome.WAITING:
            person.cards[card.id].append((submitted, SubmissionStatus.SUBMITTED, None, None, None))
            return submitted
        for key in keys:
            index = levels.get(key)
            points_of = (
                card.definition["criteria"][keys.index(key)]["levels"][index]["points"] if index is not None else None
            )
            self.writer.add(
                CriterionScore,
                submission_id=submission_id,
                criterion_key=key,
                level_index=index,
                points=points_of,
                comment="",
            )
        details: dict[str, Any] = {
            "levels": levels,
            "comments": dict.fromkeys(keys, ""),
            "overall": overall,
            "total": points,
            "rubric_version_id": card.version_id,
        }
        path = path_for("roleplay.submission", submission_id=str(submission_id))
        read_at = decided + timedelta(hours=rng.uniform(1, 30)) if rng.random() < 0.6 else None
        if outcome == Outcome.RETURNED:
            self._event(
                submission_id,
                grader_id,
                GradingEvent.RETURNED,
                SubmissionStatus.SUBMITTED,
                SubmissionStatus.RETURNED,
                details,
                decided,
            )
            self.writer.add(
                Notification,
                user_id=person.id,
                kind="roleplay.returned",
                params={"card": card.title, "total": None, "max": None},
                url=path,
                created_at=decided,
                read_at=read_at,
            )
            return decided
        details.update(max_points=card.max_points, pass_percent=card.pass_percent, passed=passed)
        self._event(
            submission_id,
            grader_id,
            GradingEvent.GRADED,
            SubmissionStatus.SUBMITTED,
            SubmissionStatus.GRADED,
            details,
            decided,
        )
        self.writer.add(
            Notification,
            user_id=person.id,
            kind="roleplay.graded.passed" if passed else "roleplay.graded.failed",
            params={"card": card.title, "total": points, "max": card.max_points},
            url=path,
            created_at=decided,
            read_at=read_at,
        )
        person.cards[card.id].append((decided, SubmissionStatus.GRADED, passed, points, card.max_points))
        return decided

    def _levels(self, card: CardInfo, want_pass: bool) -> dict[str, int]:
        """Rubric levels per criterion that pass (or fail) the card."""
        criteria = scoring.criteria(card.definition)
        levels = {
            c["key"]: self.rng.randint(len(c["levels"]) // 2, len(c["levels"]) - 1)
            if want_pass
            else self.rng.randint(0, len(c["levels"]) // 2)
            for c in criteria
        }
        passed = scoring.passed(scoring.total(card.definition, levels), card.max_points, card.pass_percent)
        if passed != want_pass:
            levels = {c["key"]: len(c["levels"]) - 1 if want_pass else 0 for c in criteria}
        return levels

    def _event(
        self,
        submission_id: int,
        actor_id: int,
        action: str,
        before: str,
        after: str,
        details: dict[str, Any],
        moment: datetime,
    ) -> None:
        self.writer.add(
            SubmissionEvent,
            submission_id=submission_id,
            actor_id=actor_id,
            action=action,
            from_status=before,
            to_status=after,
            details=details,
            created_at=moment,
        )

    # -- completion ---------------------------------------------------------------------------------

    def _item(self, person: Person, course_id: int, req: Requirement) -> tuple[Item, datetime | None, datetime | None]:
        """One checklist item by the completion rules, when it became satisfied, and its last activity."""
        item = Item(req.kind, req.slug, req.title)
        satisfied_at = last = None
        if req.kind == ItemKind.MODULE and req.ref_id in person.read:
            item.state, satisfied_at = ItemState.DONE, person.read[req.ref_id]
            last = satisfied_at
        elif req.kind == ItemKind.QUIZ and person.quizzes.get(req.ref_id):
            attempts = person.quizzes[req.ref_id]
            passes = [moment for moment, passed, _ in attempts if passed]
            item.state = ItemState.DONE if passes else ItemState.FAILED
            item.score = max(percent for _, _, percent in attempts)
            satisfied_at, last = (passes[0] if passes else None), attempts[-1][0]
        elif req.kind == ItemKind.ROLEPLAY and person.cards.get(req.ref_id):
            rows = person.cards[req.ref_id]
            graded = [r for r in rows if r[1] == SubmissionStatus.GRADED]
            passes = [r[0] for r in graded if r[2]]
            waiting = any(r[1] == SubmissionStatus.SUBMITTED for r in rows)
            item.state = ItemState.DONE if passes else ItemState.PENDING if waiting else ItemState.FAILED
            item.score = max((r[3] for r in graded), default=None)
            item.max = max((r[4] for r in graded), default=None)
            satisfied_at, last = (passes[0] if passes else None), rows[-1][0]
        waived = person.waivers.get((course_id, req.kind, req.slug))
        if waived is not None and item.state != ItemState.DONE:
            item.state, satisfied_at = ItemState.WAIVED, waived
            last = max(last or waived, waived)
        return item, satisfied_at, last

    def _completion(self, person: Person) -> None:
        """The completion rows, certificates and notices the completion room keeps for this history."""
        for course in self.content.courses:
            found = [self._item(person, course.id, req) for req in self.content.reqs[course.id]]
            states = [item.state for item, _, _ in found]
            status = status_of(states)
            if status == CompletionStatus.NOT_STARTED:
                continue
            moments = [last for _, _, last in found if last is not None]
            completed_at = max(at for _, at, _ in found) if status == CompletionStatus.COMPLETE else None
            self.writer.add(
                CourseCompletion,
                user_id=person.id,
                course_id=course.id,
                status=status,
                done=sum(state in SATISFIED for state in states),
                total=len(states),
                items=[item.stored() for item, _, _ in found],
                completed_at=completed_at,
                updated_at=max(moments),
            )
            if completed_at is not None:
                self.writer.add(
                    Certificate,
                    code=new_code(),
                    user_id=person.id,
                    course_id=course.id,
                    recipient_name=person.name,
                    course_title=course.title,
                    issued_at=completed_at,
                )
                self.writer.add(
                    Notification,
                    user_id=person.id,
                    kind=notices.COMPLETED,
                    params={"course": course.title},
                    url=path_for("learning.course", slug=course.slug),
                    created_at=completed_at,
                    read_at=None,
                )
