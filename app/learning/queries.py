"""Read-only queries for learning pages (a fixed number of SQL queries each)."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from app.accounts.models import STAFF_ROLES, Cohort, CohortMember, Department, User
from app.extensions import db
from app.learning import enrolments
from app.learning.models import Assignment, AssignmentRule, Course, Enrolment, Module, ModuleProgress


def is_assigned(user: User, course: Course) -> bool:
    """Whether the user is enrolled in the course (assigned to them, their cohort or their department)."""
    ids = enrolments.course_ids(user.id).where(Enrolment.course_id == course.id)
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) > 0


def assignment_rows(course_id: int | None = None) -> Select:
    """Select every assignment (of one course) with its course title, target's names and rule (if one made it), in course order."""
    query = (
        select(Assignment, Course.title, Department.name, Cohort.name, User.name, User.employee_no, AssignmentRule)
        .join(Course, Course.id == Assignment.course_id)
        .outerjoin(Department, Department.id == Assignment.department_id)
        .outerjoin(Cohort, Cohort.id == Assignment.cohort_id)
        .outerjoin(User, User.id == Assignment.user_id)
        .outerjoin(AssignmentRule, AssignmentRule.id == Assignment.rule_id)
        .order_by(Course.position, Assignment.id)
    )
    return query.where(Assignment.course_id == course_id) if course_id else query


def can_view_course(user: User, course: Course) -> bool:
    """Staff may preview every course; trainees read the courses assigned to them."""
    return user.has_role(*STAFF_ROLES) or is_assigned(user, course)


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
