"""Writes for learning: reading progress and course assignments."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import Cohort, Department, User
from app.core import audit
from app.core.signals import assignment_changed, module_completed
from app.extensions import db
from app.learning.models import Assignment, Course, Module, ModuleProgress


def mark_complete(user: User, module: Module) -> bool:
    """Record that the user has read a module; return True when newly recorded."""
    exists = db.session.scalar(
        select(ModuleProgress.id).where(ModuleProgress.user_id == user.id, ModuleProgress.module_id == module.id)
    )
    if exists:
        return False
    db.session.add(ModuleProgress(user_id=user.id, module_id=module.id))
    db.session.commit()
    module_completed.send(module, user_id=user.id, course_id=module.course_id)
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
    audit.record("course.assigned", assignment, {"course": course.slug, "to": getattr(targets[0], "username", None) or targets[0].name, "due_date": str(assignment.due_date or "")})
    if commit:
        db.session.commit()
        assignment_changed.send(assignment)
    return assignment


def unassign(assignment: Assignment) -> None:
    """Remove an assignment (progress is kept)."""
    audit.record("course.unassigned", assignment, {"course": assignment.course.slug})
    db.session.delete(assignment)
    db.session.commit()
    assignment_changed.send(assignment)
