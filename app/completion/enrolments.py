"""Enrolments: which person must complete which course, resolved from assignments at query time.

A person is enrolled in a course assigned to them, to a cohort they are a trainee of, or to their
department — so people who join a cohort or department later are enrolled without any new row.
Archived courses enrol nobody.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select, union_all

from app.accounts.models import CohortMember, User
from app.learning.models import Assignment, Course


def enrolments() -> Any:
    """Subquery (user_id, course_id, due_date): every live course assigned to every person, earliest due date.

    Archived courses are left out inside each branch, where the planner knows the tables' statistics,
    so callers need no inner join on ``courses``: over this grouped subquery the planner would expect
    a few hundred rows instead of tens of thousands and pick nested loops (an outer join for titles
    is fine).
    """
    live = and_(Course.id == Assignment.course_id, Course.archived.is_(False))
    direct = (
        select(Assignment.user_id.label("user_id"), Assignment.course_id.label("course_id"), Assignment.due_date)
        .join(Course, live)
        .where(Assignment.user_id.is_not(None))
    )
    by_cohort = (
        select(CohortMember.user_id, Assignment.course_id, Assignment.due_date)
        .select_from(Assignment)
        .join(Course, live)
        .join(CohortMember, and_(CohortMember.cohort_id == Assignment.cohort_id, CohortMember.role == "trainee"))
    )
    by_department = (
        select(User.id, Assignment.course_id, Assignment.due_date)
        .select_from(Assignment)
        .join(Course, live)
        .join(User, User.department_id == Assignment.department_id)
    )
    pairs = union_all(direct, by_cohort, by_department).subquery("pairs")
    return (
        select(pairs.c.user_id, pairs.c.course_id, func.min(pairs.c.due_date).label("due_date"))
        .group_by(pairs.c.user_id, pairs.c.course_id)
        .subquery("enrolments")
    )
