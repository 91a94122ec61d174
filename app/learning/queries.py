"""Read-only queries for learning pages (a fixed number of SQL queries each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, func, or_, select

from app.accounts.models import CohortMember, User
from app.extensions import db
from app.learning.models import Assignment, Course, Module, ModuleProgress

STAFF_ROLES = ("instructor", "hr", "admin")


@dataclass
class CourseProgress:
    """A course with one user's reading progress."""

    course: Course
    total: int
    done: int
    due_date: date | None

    @property
    def percent(self) -> int:
        """Modules read, as a whole percentage."""
        return round(100 * self.done / self.total) if self.total else 0


def assigned_course_ids(user_id: int, department_id: int | None) -> Select:
    """Select the ids of courses assigned to a user directly, by cohort or by department."""
    cohorts = select(CohortMember.cohort_id).where(CohortMember.user_id == user_id, CohortMember.role == "trainee")
    target = or_(Assignment.user_id == user_id, Assignment.cohort_id.in_(cohorts))
    if department_id is not None:
        target = or_(target, Assignment.department_id == department_id)
    return select(Assignment.course_id).where(target)


def is_assigned(user: User, course: Course) -> bool:
    """Whether the course is assigned to the user."""
    ids = assigned_course_ids(user.id, user.department_id).where(Assignment.course_id == course.id)
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) > 0


def can_view_course(user: User, course: Course) -> bool:
    """Staff may preview every course; trainees read the courses assigned to them."""
    return user.has_role(*STAFF_ROLES) or is_assigned(user, course)


def dashboard(user: User) -> list[CourseProgress]:
    """The user's assigned courses with progress and earliest due date (three queries)."""
    cohorts = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id, CohortMember.role == "trainee")
    target = or_(Assignment.user_id == user.id, Assignment.cohort_id.in_(cohorts))
    if user.department_id is not None:
        target = or_(target, Assignment.department_id == user.department_id)
    rows = db.session.execute(
        select(Course, func.min(Assignment.due_date))
        .join(Assignment, Assignment.course_id == Course.id)
        .where(target, Course.archived.is_(False))
        .group_by(Course.id)
        .order_by(Course.position, Course.id)
    ).all()
    if not rows:
        return []
    ids = [course.id for course, _ in rows]
    totals = dict(
        db.session.execute(
            select(Module.course_id, func.count())
            .where(Module.course_id.in_(ids), Module.archived.is_(False))
            .group_by(Module.course_id)
        ).all()
    )
    done = completed_counts(user.id, ids)
    return [CourseProgress(course, totals.get(course.id, 0), done.get(course.id, 0), due) for course, due in rows]


def completed_counts(user_id: int, course_ids: list[int]) -> dict[int, int]:
    """Modules read per course for one user."""
    return dict(
        db.session.execute(
            select(Module.course_id, func.count())
            .join(ModuleProgress, and_(ModuleProgress.module_id == Module.id, ModuleProgress.user_id == user_id))
            .where(Module.course_id.in_(course_ids), Module.archived.is_(False))
            .group_by(Module.course_id)
        ).all()
    )


def completed_module_ids(user_id: int, course_id: int) -> set[int]:
    """Ids of the modules of a course that the user has read."""
    return set(
        db.session.scalars(
            select(ModuleProgress.module_id)
            .join(Module, Module.id == ModuleProgress.module_id)
            .where(ModuleProgress.user_id == user_id, Module.course_id == course_id)
        )
    )


def cohort_progress(cohort_id: int) -> tuple[list[User], list[Course], dict[tuple[int, int], int], dict[int, int]]:
    """Trainees of a cohort, its courses, modules read per (user, course) and modules per course."""
    trainees = list(
        db.session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort_id, CohortMember.role == "trainee")
            .order_by(User.name)
        )
    )
    courses = list(
        db.session.scalars(
            select(Course)
            .join(Assignment, Assignment.course_id == Course.id)
            .where(Assignment.cohort_id == cohort_id, Course.archived.is_(False))
            .order_by(Course.position)
        )
    )
    course_ids = [c.id for c in courses]
    user_ids = [u.id for u in trainees]
    read: dict[tuple[int, int], int] = {}
    totals: dict[int, int] = {}
    if course_ids and user_ids:
        read = {
            (uid, cid): n
            for uid, cid, n in db.session.execute(
                select(ModuleProgress.user_id, Module.course_id, func.count())
                .join(Module, Module.id == ModuleProgress.module_id)
                .where(
                    ModuleProgress.user_id.in_(user_ids),
                    Module.course_id.in_(course_ids),
                    Module.archived.is_(False),
                )
                .group_by(ModuleProgress.user_id, Module.course_id)
            )
        }
        totals = dict(
            db.session.execute(
                select(Module.course_id, func.count())
                .where(Module.course_id.in_(course_ids), Module.archived.is_(False))
                .group_by(Module.course_id)
            ).all()
        )
    return trainees, courses, read, totals


def teaches(user: User, cohort_id: int) -> bool:
    """Whether the user is an instructor of the cohort."""
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(CohortMember)
            .where(
                CohortMember.cohort_id == cohort_id, CohortMember.user_id == user.id, CohortMember.role == "instructor"
            )
        )
    )
