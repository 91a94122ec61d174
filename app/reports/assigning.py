"""HR's bulk assignment writes, on top of learning.services (one transaction each, then the signals)."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.accounts.models import Cohort, Department, User
from app.core import audit
from app.core.domain import InvalidInput
from app.core.signals import assignment_changed
from app.extensions import db
from app.learning import services as learning
from app.learning.models import Assignment, Course

SEPARATORS = re.compile(r"[\s,，、;；]+")


class AssignError(InvalidInput):
    """A request that cannot be carried out; the message is for the user."""


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


def assign(
    course: Course, *, departments: list[Department], cohorts: list[Cohort], people: list[User],
    due_date: date | None, by: User,
) -> list[Assignment]:
    """Assign a course to every target in one transaction (re-assigning sets the new due date)."""
    if not (departments or cohorts or people):
        raise AssignError(str(_l("请至少选择一个部门、班组或人员。")))
    if due_date is not None and due_date < date.today():
        raise AssignError(str(_l("截止日期不能早于今天。")))
    targets = [{"department": d} for d in departments] + [{"cohort": c} for c in cohorts]
    targets += [{"user": u} for u in people]
    try:
        made = [learning.assign_course(course, due_date=due_date, by=by, commit=False, **t) for t in targets]
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for assignment in made:
        assignment_changed.send(assignment)
    return made


def bulk(assignments: list[Assignment], action: str, due_date: date | None) -> int:
    """Change the due date of, or remove, the selected assignments in one transaction; return how many."""
    if not assignments:
        raise AssignError(str(_l("请先勾选要处理的分配。")))
    if action == "due":
        if due_date is None:
            raise AssignError(str(_l("请填写新的截止日期。")))
        if due_date < date.today():
            raise AssignError(str(_l("截止日期不能早于今天。")))
    for assignment in assignments:
        if action == "remove":
            db.session.delete(assignment)
        else:
            assignment.due_date = due_date if action == "due" else None
    audit.record("assignments.changed", None, {"action": action, "ids": [a.id for a in assignments], "due_date": str(due_date or "")})
    db.session.commit()
    for assignment in assignments:
        assignment_changed.send(assignment)
    return len(assignments)
