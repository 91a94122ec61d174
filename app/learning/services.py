"""Writes for learning: reading progress and course assignments (one by one, and HR's bulk changes).

Only learning sends its signals: ``module_completed`` after a module is read, ``assignment_changed``
after an assignment is made, changed or removed (the enrolment rows follow by the flush listener of
``app.learning.enrolments``, in the same transaction).
"""

from __future__ import annotations

import logging
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.accounts.models import Cohort, Department, User
from app.core import audit
from app.core.domain import InvalidInput
from app.core.signals import assignment_changed, module_completed
from app.extensions import db
from app.learning.models import Assignment, Course, Module, ModuleProgress

log = logging.getLogger(__name__)

SEPARATORS = re.compile(r"[\s,，、;；]+")


class AssignError(InvalidInput):
    """An assignment request that cannot be carried out; the message is for the user."""


def mark_complete(user: User, module: Module) -> bool:
    """Record that the user has read a module; return True when newly recorded."""
    exists = db.session.scalar(
        select(ModuleProgress.id).where(ModuleProgress.user_id == user.id, ModuleProgress.module_id == module.id)
    )
    if exists:
        return False
    ids = {"user_id": user.id, "module_id": module.id, "course_id": module.course_id}
    db.session.add(ModuleProgress(user_id=user.id, module_id=module.id))
    db.session.commit()
    log.info("module read", extra=ids)
    module_completed.send(module, user_id=ids["user_id"], course_id=ids["course_id"])
    return True


def assign_course(
    course: Course,
    *,
    cohort: Cohort | None = None,
    department: Department | None = None,
    user: User | None = None,
    due_date: date | None = None,
    by: User | None = None,
    commit: bool = True,
) -> Assignment:
    """Assign a course to exactly one target; re-assigning updates the due date."""
    targets = [t for t in (cohort, department, user) if t is not None]
    if len(targets) != 1:
        raise ValueError("assign_course needs exactly one of cohort, department, user")
    query = select(Assignment).where(Assignment.course_id == course.id)
    if cohort is not None:
        query = query.where(Assignment.cohort_id == cohort.id)
    elif department is not None:
        query = query.where(Assignment.department_id == department.id)
    else:
        query = query.where(Assignment.user_id == user.id)
    assignment = db.session.scalar(query)
    if assignment is None:
        assignment = Assignment(
            course_id=course.id,
            cohort_id=cohort.id if cohort else None,
            department_id=department.id if department else None,
            user_id=user.id if user else None,
            created_by_id=by.id if by else None,
        )
        db.session.add(assignment)
    if due_date is not None or assignment.id is None:
        assignment.due_date = due_date
    audit.record(
        "course.assigned",
        assignment,
        {
            "course": course.slug,
            "to": getattr(targets[0], "username", None) or targets[0].name,
            "due_date": str(assignment.due_date or ""),
        },
    )
    if commit:
        ids = {"assignment_id": assignment.id, "course_id": course.id}  # flushed by audit.record
        db.session.commit()
        log.info("course assigned", extra=ids)
        assignment_changed.send(assignment)
    return assignment


def unassign(assignment: Assignment) -> None:
    """Remove an assignment (progress is kept)."""
    audit.record("course.unassigned", assignment, {"course": assignment.course.slug})
    assignment_id = assignment.id
    db.session.delete(assignment)
    db.session.commit()
    log.info("course unassigned", extra={"assignment_id": assignment_id})
    assignment_changed.send(assignment)


# --- HR's bulk assignment: many targets, many assignments, one transaction each ------------------


def find_people(text: str) -> list[User]:
    """Active people named by 工号 or username (case-insensitive); AssignError lists unknown ones."""
    tokens = list(dict.fromkeys(t for t in SEPARATORS.split(text or "") if t))
    if not tokens:
        return []
    keys = [t.lower() for t in tokens]
    users = db.session.scalars(
        select(User).where(User.active.is_(True), or_(func.lower(User.employee_no).in_(keys), User.username.in_(keys)))
    ).all()
    found = {u.username for u in users} | {(u.employee_no or "").lower() for u in users}
    unknown = [t for t in tokens if t.lower() not in found]
    if unknown:
        raise AssignError(str(_l("找不到这些人员：%(names)s。", names="、".join(unknown))))
    return list(users)


def assign_many(
    course: Course,
    *,
    departments: list[Department],
    cohorts: list[Cohort],
    people: list[User],
    due_date: date | None,
    by: User,
) -> list[Assignment]:
    """Assign a course to every target in one transaction (re-assigning sets the new due date)."""
    if not (departments or cohorts or people):
        raise AssignError(str(_l("请至少选择一个部门、班组或人员。")))
    if due_date is not None and due_date < date.today():
        raise AssignError(str(_l("截止日期不能早于今天。")))
    targets = [{"department": d} for d in departments] + [{"cohort": c} for c in cohorts]
    targets += [{"user": u} for u in people]
    try:
        made = [assign_course(course, due_date=due_date, by=by, commit=False, **t) for t in targets]
        ids = {"course_id": course.id, "assignment_ids": [a.id for a in made]}  # flushed by audit.record
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("course assigned in bulk", extra=ids)
    for assignment in made:
        assignment_changed.send(assignment)
    return made


def change_many(assignments: list[Assignment], action: str, due_date: date | None) -> int:
    """Change the due date of (``due``, ``clear_due``), or remove, the given assignments in one transaction; return how many."""
    if not assignments:
        raise AssignError(str(_l("请先勾选要处理的分配。")))
    if action == "due":
        if due_date is None:
            raise AssignError(str(_l("请填写新的截止日期。")))
        if due_date < date.today():
            raise AssignError(str(_l("截止日期不能早于今天。")))
    ids = [a.id for a in assignments]
    for assignment in assignments:
        if action == "remove":
            db.session.delete(assignment)
        else:
            assignment.due_date = due_date if action == "due" else None
    audit.record("assignments.changed", None, {"action": action, "ids": ids, "due_date": str(due_date or "")})
    db.session.commit()
    log.info("assignments changed in bulk", extra={"action": action, "assignment_ids": ids})
    for assignment in assignments:
        assignment_changed.send(assignment)
    return len(assignments)
