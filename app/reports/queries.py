"""Read-only report queries: enrolments with their completion, charts, overdue, transcripts.

An *enrolment* is a (trainee, course) pair reached by any assignment: to the person, to a cohort
they are a trainee of, or to their department (resolved at query time, so people who join later are
included). Its due date is the earliest due date among those assignments. Completion comes from the
stored CourseCompletion row; an enrolment without a row has had no activity and is *not started*.
Every function runs a fixed number of SQL queries whatever the number of trainees.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, and_, case, false, func, literal, or_, select, union
from sqlalchemy.orm import selectinload

from app.accounts import managers
from app.accounts.models import CohortMember, Department, User, UserRole
from app.assessments.enums import AttemptStatus
from app.assessments.models import Attempt
from app.completion.enums import CompletionStatus, ItemKind, ItemState
from app.completion.models import Certificate, CourseCompletion, Waiver
from app.completion.rules import SATISFIED, Checklist, Requirement, evaluate, requirements
from app.core.pagination import MAX_INT, parse_int
from app.extensions import db
from app.learning.enrolments import enrolments
from app.learning.models import Course
from app.roleplay.enums import SubmissionStatus
from app.roleplay.models import Submission


class ReportStatus(StrEnum):
    """The report's status filter and export word: a completion status, or overdue (past due, not complete)."""

    NOT_STARTED = CompletionStatus.NOT_STARTED.value
    IN_PROGRESS = CompletionStatus.IN_PROGRESS.value
    COMPLETE = CompletionStatus.COMPLETE.value
    OVERDUE = "overdue"


STATUSES = tuple(ReportStatus)
BATCH = 1000


def today() -> date:
    """The date that due dates are compared with."""
    return date.today()


@dataclass
class Filters:
    """Dashboard, export and API filters (bad values are ignored)."""

    department_id: int | None = None
    cohort_id: int | None = None
    course_id: int | None = None
    status: ReportStatus | None = None
    due_before: date | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """Read filters from query-string arguments."""

        def number(key: str) -> int | None:
            return parse_int(args.get(key))

        try:
            due_before = date.fromisoformat(str(args.get("due_before") or ""))
        except ValueError:
            due_before = None
        status = args.get("status")
        return cls(
            department_id=number("department"),
            cohort_id=number("cohort"),
            course_id=number("course"),
            status=ReportStatus(status) if status in STATUSES else None,
            due_before=due_before,
            q=str(args.get("q") or "").strip()[:64],
        )

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (empty ones left out)."""
        values = {
            "department": self.department_id,
            "cohort": self.cohort_id,
            "course": self.course_id,
            "status": self.status,
            "due_before": self.due_before.isoformat() if self.due_before else None,
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}


def taught_trainees(instructor_id: int) -> Select:
    """Select the ids of trainees in the cohorts an instructor teaches."""
    cohorts = select(CohortMember.cohort_id).where(
        CohortMember.user_id == instructor_id, CohortMember.role == "instructor"
    )
    return select(CohortMember.user_id).where(CohortMember.role == "trainee", CohortMember.cohort_id.in_(cohorts))


def managed_people(manager_id: int) -> Select:
    """Select the ids of the people in the departments a manager follows."""
    return managers.managed_people(manager_id)


def people_scope(user: User) -> Select | None:
    """Whose enrolments ``user`` may see: None for everyone (HR), else a select of user ids.

    An instructor sees the trainees of the cohorts they teach, a manager the people of the departments
    they follow (both, when they hold both roles); anyone else nobody.
    """
    if user.has_role("hr"):
        return None
    parts = []
    if user.has_role("instructor"):
        parts.append(taught_trainees(user.id))
    if user.has_role("manager"):
        parts.append(managed_people(user.id))
    if not parts:
        return select(User.id).where(false())
    return parts[0] if len(parts) == 1 else select(union(*parts).subquery().c[0])


status_expr = func.coalesce(CourseCompletion.status, literal(CompletionStatus.NOT_STARTED.value))


def _select(e: Any, filters: Filters, scope: Select | None, columns: list[Any]) -> Select:
    """Enrolments ``e`` of active trainees joined with people, courses and completion, filtered.

    Enrolments hold live courses only; ``courses`` is outer-joined for titles and order, because an
    inner join (or a filter on its columns) makes the planner expect a few hundred rows and choose
    nested loops over tens of thousands (see ``enrolments``).
    """
    query = (
        select(*columns)
        .select_from(e)
        .join(User, User.id == e.c.user_id)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "trainee"))
        .outerjoin(Course, Course.id == e.c.course_id)
        .outerjoin(Department, Department.id == User.department_id)
        .outerjoin(
            CourseCompletion,
            and_(CourseCompletion.user_id == e.c.user_id, CourseCompletion.course_id == e.c.course_id),
        )
        .where(User.active.is_(True))
    )
    if scope is not None:
        query = query.where(User.id.in_(scope))
    if filters.department_id:
        query = query.where(User.department_id == filters.department_id)
    if filters.cohort_id:
        members = select(CohortMember.user_id).where(
            CohortMember.cohort_id == filters.cohort_id, CohortMember.role == "trainee"
        )
        query = query.where(User.id.in_(members))
    if filters.course_id:
        query = query.where(e.c.course_id == filters.course_id)
    if filters.status == ReportStatus.OVERDUE:
        query = query.where(e.c.due_date < today(), status_expr != CompletionStatus.COMPLETE)
    elif filters.status:
        query = query.where(status_expr == filters.status)
    if filters.due_before:
        query = query.where(e.c.due_date <= filters.due_before)
    if filters.q:
        query = query.where(
            or_(
                *(
                    column.icontains(filters.q, autoescape=True)
                    for column in (User.name, User.employee_no, User.username)
                )
            )
        )
    return query


@dataclass
class ReportRow:
    """One enrolment: who, which course, due date and completion (done/total/items None when not started)."""

    user_id: int
    employee_no: str | None
    name: str
    username: str
    department: str | None
    course_id: int
    course_title: str
    due_date: date | None
    status: str
    completed_at: datetime | None
    done: int | None
    total: int | None
    items: list[dict[str, Any]] | None

    @property
    def overdue(self) -> bool:
        """Past its due date and not complete."""
        return self.status != CompletionStatus.COMPLETE and self.due_date is not None and self.due_date < today()


def _row_columns(due_date: Any) -> list[Any]:
    """The selected columns of a ReportRow, labelled with its fields (``due_date``: the enrolments' column)."""
    columns = {
        "user_id": User.id,
        "employee_no": User.employee_no,
        "name": User.name,
        "username": User.username,
        "department": Department.name,
        "course_id": Course.id,
        "course_title": Course.title,
        "due_date": due_date,
        "status": status_expr,
        "completed_at": CourseCompletion.completed_at,
        "done": CourseCompletion.done,
        "total": CourseCompletion.total,
        "items": CourseCompletion.items,
    }
    assert list(columns) == ROW_FIELDS, "the report query and ReportRow must name the same fields"
    return [column.label(name) for name, column in columns.items()]


ROW_FIELDS = [f.name for f in fields(ReportRow)]


def _report_row(row: Any) -> ReportRow:
    """A selected row as a ReportRow, by field name."""
    return ReportRow(**row._mapping)


REPORT_ORDER = (Department.name, User.name, User.id, Course.position, Course.id)


def rows_query(filters: Filters, scope: Select | None = None) -> Select:
    """The filtered enrolments in report order (department, name, course)."""
    e = enrolments()
    return _select(e, filters, scope, _row_columns(e.c.due_date)).order_by(*REPORT_ORDER)


def _keys(e: Any, filters: Filters, scope: Select | None) -> Select:
    """The filtered enrolments as narrow rows (person, course, due date), which sort several times faster."""
    return _select(e, filters, scope, [e.c.user_id, e.c.course_id, e.c.due_date])


def _rows_for(keys: Any) -> Select:
    """The report columns of a few enrolment keys: sort and cut the narrow keys first, then widen only those."""
    return (
        select(*_row_columns(keys.c.due_date))
        .select_from(keys)
        .join(User, User.id == keys.c.user_id)
        .join(Course, Course.id == keys.c.course_id)
        .outerjoin(Department, Department.id == User.department_id)
        .outerjoin(
            CourseCompletion,
            and_(CourseCompletion.user_id == keys.c.user_id, CourseCompletion.course_id == keys.c.course_id),
        )
    )


class KeyedPagination(SelectPagination):
    """Pagination over enrolment keys in report order; the page's rows are then read as ReportRows."""

    def _query_items(self) -> list[ReportRow]:
        keys = self._query_args["select"].order_by(*REPORT_ORDER).limit(self.per_page).offset(self._query_offset)
        rows = db.session.execute(_rows_for(keys.subquery("page_keys")).order_by(*REPORT_ORDER))
        return [_report_row(row) for row in rows]


def page(
    filters: Filters, scope: Select | None, number: int, per_page: int, total: int | None = None
) -> KeyedPagination:
    """One page of enrolments as ReportRows (``total``: the row count when ``summary`` has it already)."""
    number = min(max(number, 1), MAX_INT if total is None else max(-(-total // per_page), 1))
    pagination = KeyedPagination(
        select=_keys(enrolments(), filters, scope),
        session=db.session,
        page=number,
        per_page=per_page,
        max_per_page=100,
        error_out=False,
        count=total is None,
    )
    if total is not None:
        pagination.total = total
    return pagination


def iter_rows(filters: Filters, scope: Select | None = None) -> Iterator[ReportRow]:
    """Every filtered enrolment, streamed from one query in batches (constant memory)."""
    result = db.session.execute(rows_query(filters, scope).execution_options(yield_per=BATCH))
    for row in result:
        yield _report_row(row)


@dataclass
class RateRow:
    """Completion rate of one group (a department or a course)."""

    label: str
    total: int
    complete: int

    @property
    def percent(self) -> int:
        """Complete enrolments as a whole percentage."""
        return round(100 * self.complete / self.total) if self.total else 0


@dataclass
class Summary:
    """The dashboard's figures: rates per department and per course, matching rows, overdue rows."""

    by_department: list[RateRow]
    by_course: list[RateRow]
    total: int
    overdue: int


def summary(filters: Filters, scope: Select | None = None) -> Summary:
    """Completion rates by department and by course and the row counts, from one grouped query.

    Groups are counted per status without the status filter, which is then applied to the counts;
    the overdue count keeps every filter but the status, like the overdue list.
    """
    e = enrolments()
    late = and_(e.c.due_date < today(), status_expr != CompletionStatus.COMPLETE)
    counts = [func.count()] + [func.sum(case((status_expr == s, 1), else_=0)) for s in CompletionStatus]
    counts.append(func.sum(case((late, 1), else_=0)))
    groups = [Department.name, Course.position, Course.id, Course.title]
    query = _select(e, replace(filters, status=None), scope, groups + counts).group_by(*groups).order_by(*groups[:3])
    departments: dict[str | None, RateRow] = {}
    courses: dict[tuple[int, int], RateRow] = {}
    overdue_count = 0
    for department, position, course_id, title, everyone, *by_status, overdue_here in db.session.execute(query):
        per_status = dict(zip(STATUSES, [*map(int, by_status), int(overdue_here)], strict=True))
        matching = per_status[filters.status] if filters.status else int(everyone)
        complete = per_status[ReportStatus.COMPLETE] if filters.status in (None, ReportStatus.COMPLETE) else 0
        overdue_count += per_status[ReportStatus.OVERDUE]
        for rates, key, label in ((departments, department, department), (courses, (position, course_id), title)):
            row = rates.setdefault(key, RateRow(label or "", 0, 0))
            row.total += matching
            row.complete += complete
    by_course = [courses[key] for key in sorted(courses)]
    return Summary(
        [r for r in departments.values() if r.total],
        [r for r in by_course if r.total],
        sum(r.total for r in departments.values()),
        overdue_count,
    )


def overdue(filters: Filters, scope: Select | None = None, limit: int = 10) -> list[ReportRow]:
    """The longest-overdue enrolments (one query; ``summary`` counts them all)."""
    e = enrolments()
    keys = _keys(e, replace(filters, status=ReportStatus.OVERDUE), scope).order_by(e.c.due_date, User.name, User.id)
    late = keys.limit(limit).subquery("late")
    rows = db.session.execute(_rows_for(late).order_by(late.c.due_date, User.name, User.id))
    return [_report_row(row) for row in rows]


@dataclass
class Catalogue:
    """What every course requires, to show stored checklists with their titles."""

    courses: list[Course]
    reqs: dict[int, list[Requirement]]

    def items(self, row: ReportRow) -> list[dict[str, Any]]:
        """The row's stored checklist, or every requirement still to do when not started."""
        if row.items is not None:
            return row.items
        return [{"kind": r.kind, "slug": r.slug, "state": ItemState.TODO} for r in self.reqs.get(row.course_id, [])]

    def title(self, course_id: int, item: dict[str, Any]) -> str:
        """The title of a checklist item (its slug when it is no longer in the content)."""
        for req in self.reqs.get(course_id, []):
            if req.kind == item["kind"] and req.slug == item["slug"]:
                return req.title
        return item["slug"]

    def progress(self, row: ReportRow) -> tuple[int, int]:
        """(items done or waived, items required)."""
        if row.total is not None:
            return row.done or 0, row.total
        return 0, len(self.reqs.get(row.course_id, []))

    def missing(self, row: ReportRow) -> list[str]:
        """Titles of the items neither done nor waived."""
        return [self.title(row.course_id, i) for i in self.items(row) if i["state"] not in SATISFIED]

    def scores(self, row: ReportRow, kind: ItemKind) -> list[str]:
        """Best results per quiz (``标题 85%``) or role-play (``标题 12/16``); pending grading is said so."""
        out = []
        for item in self.items(row):
            if item["kind"] != kind:
                continue
            title = self.title(row.course_id, item)
            if item["state"] == ItemState.PENDING:
                out.append(str(_l("%(title)s 待评分", title=title)))
            elif item.get("score") is not None:
                value = f"{item['score']}/{item['max']}" if item.get("max") else f"{item['score']}%"
                out.append(f"{title} {value}")
            elif item["state"] == ItemState.WAIVED:
                out.append(str(_l("%(title)s 已豁免", title=title)))
        return out


def catalogue() -> Catalogue:
    """Requirements of every current course (four queries)."""
    courses = list(db.session.scalars(select(Course).where(Course.archived.is_(False)).order_by(Course.position)))
    return Catalogue(courses, requirements(courses))


@dataclass
class CourseRecord:
    """One course on a transcript: due date, live checklist, completion date and certificate."""

    course: Course
    due_date: date | None
    checklist: Checklist
    completed_at: datetime | None
    certificate: Certificate | None


@dataclass
class GradeLine:
    """One rubric criterion of a graded role-play: the level chosen and its points."""

    criterion: str
    level: str
    points: int | None
    comment: str


@dataclass
class Transcript:
    """Everything one trainee has done: courses, quiz attempts, role-play grades, waivers."""

    user: User
    courses: list[CourseRecord]
    attempts: list[tuple[Attempt, str]]
    grades: list[tuple[Submission, list[GradeLine]]]
    waivers: list[tuple[Waiver, str]]


def transcript(user: User) -> Transcript:
    """A trainee's transcript (a fixed number of queries)."""
    e = enrolments()
    due = dict(db.session.execute(select(e.c.course_id, e.c.due_date).where(e.c.user_id == user.id)).all())
    rows = {
        r.course_id: r for r in db.session.scalars(select(CourseCompletion).where(CourseCompletion.user_id == user.id))
    }
    ids = set(due) | set(rows)
    courses = (
        db.session.scalars(
            select(Course).where(Course.id.in_(ids), Course.archived.is_(False)).order_by(Course.position, Course.id)
        ).all()
        if ids
        else []
    )
    checklists = evaluate(user.id, courses)
    certificates = {
        c.course_id: c  # the latest per course wins: valid, or revoked / expired
        for c in db.session.scalars(
            select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at, Certificate.id)
        )
    }
    records = [
        CourseRecord(
            c,
            due.get(c.id),
            checklists[c.id],
            rows[c.id].completed_at if c.id in rows and checklists[c.id].status == CompletionStatus.COMPLETE else None,
            certificates.get(c.id),
        )
        for c in courses
    ]
    attempts = db.session.scalars(
        select(Attempt)
        .options(selectinload(Attempt.version))
        .where(Attempt.user_id == user.id, Attempt.status == AttemptStatus.SUBMITTED)
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
    ).all()
    submissions = db.session.scalars(
        select(Submission)
        .options(
            selectinload(Submission.card),
            selectinload(Submission.rubric_version),
            selectinload(Submission.scores),
            selectinload(Submission.grader),
        )
        .where(Submission.trainee_id == user.id, Submission.status == SubmissionStatus.GRADED)
        .order_by(Submission.graded_at.desc(), Submission.id.desc())
    ).all()
    waivers = db.session.execute(
        select(Waiver, Course.title)
        .join(Course, Course.id == Waiver.course_id)
        .where(Waiver.user_id == user.id)
        .order_by(Waiver.created_at, Waiver.id)
    ).all()
    titles = {(w.course_id, w.kind, w.slug): t for c in checklists.values() for w, t in _waiver_titles(c)}
    return Transcript(
        user,
        records,
        [(a, band_title(a)) for a in attempts],
        [(s, grade_lines(s)) for s in submissions],
        [(w, titles.get((w.course_id, w.kind, w.slug), w.slug) + f"（{course_title}）") for w, course_title in waivers],
    )


def _waiver_titles(checklist: Checklist) -> Iterator[tuple[Waiver, str]]:
    for item in checklist.items:
        if item.waiver is not None:
            yield item.waiver, item.title


def band_title(attempt: Attempt) -> str:
    """The title of the band an attempt landed in (empty for knowledge checks)."""
    if not attempt.band_key or attempt.version is None:
        return ""
    for band in attempt.version.definition.get("bands") or []:
        if band.get("key") == attempt.band_key:
            return str(band.get("title") or band["key"])
    return attempt.band_key


def grade_lines(submission: Submission) -> list[GradeLine]:
    """The rubric level chosen for each criterion of a graded submission."""
    definition = submission.rubric_version.definition if submission.rubric_version else {"criteria": []}
    scores = {s.criterion_key: s for s in submission.scores}
    lines = []
    for criterion in definition.get("criteria", []):
        score = scores.get(criterion["key"])
        level = ""
        if score is not None and score.level_index is not None and score.level_index < len(criterion["levels"]):
            level = criterion["levels"][score.level_index]["title"]
        lines.append(
            GradeLine(criterion["title"], level, score.points if score else None, score.comment if score else "")
        )
    return lines
