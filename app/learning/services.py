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
from sqlalchemy import delete, func, or_, select, update

from app.accounts.models import Cohort, Department, User
from app.core import audit
from app.core.domain import Conflict, InvalidInput
from app.core.forms import has_control_characters
from app.core.signals import assignment_changed, module_completed
from app.extensions import db
from app.learning import enrolments, rules
from app.learning.models import Assignment, AssignmentRule, Course, Module, ModuleProgress

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
    else:  # the person's own assignment, not one an assignment rule made
        query = query.where(Assignment.user_id == user.id, Assignment.rule_id.is_(None))
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


# --- Assignment rules: HR's standing orders (applied by app.learning.rules) -------------------------


class RuleError(InvalidInput):
    """A rule that cannot be saved as given; the message is for the user, ``field`` the form field it is about."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RuleConflict(Conflict):
    """The same rule exists already."""


def _checked_rule(
    department_id: int | None, position: str | None, course_id: int | None, due_days: object, rule_id: int | None
) -> tuple[Department | None, str | None, Course, int]:
    """Check a rule's fields (scope, live course, 0–3650 days, no duplicate); return them cleaned."""
    position = rules.clean_position(position)
    if position is not None and (len(position) > 80 or has_control_characters(position, multiline=False)):
        raise RuleError(str(_l("岗位最多 80 个字符，且不能包含控制字符。")), "position")
    department = db.session.get(Department, department_id) if department_id else None
    if department_id and department is None:
        raise RuleError(str(_l("找不到这个部门。")), "department_id")
    if department is None and position is None:
        raise RuleError(str(_l("请至少选择一个部门或填写一个岗位。")), "department_id")
    course = db.session.get(Course, course_id) if course_id else None
    if course is None or course.archived:
        raise RuleError(str(_l("请选择一门在用的课程。")), "course_id")
    if isinstance(due_days, bool) or not isinstance(due_days, int) or not 0 <= due_days <= rules.MAX_DUE_DAYS:
        raise RuleError(str(_l("期限必须是 0 到 %(max)d 之间的天数。", max=rules.MAX_DUE_DAYS)), "due_days")
    same = select(func.count()).select_from(AssignmentRule).where(AssignmentRule.course_id == course.id)
    same = same.where(
        AssignmentRule.department_id == department.id if department else AssignmentRule.department_id.is_(None),
        AssignmentRule.position == position if position else AssignmentRule.position.is_(None),
    )
    if rule_id is not None:
        same = same.where(AssignmentRule.id != rule_id)
    if db.session.scalar(same):
        raise RuleConflict(str(_l("已有相同范围、相同课程的规则。")))
    return department, position, course, due_days


def _rule_details(rule: AssignmentRule) -> dict:
    return {
        "department": rule.department.name if rule.department else "",
        "position": rule.position or "",
        "course": rule.course.slug,
        "due_days": rule.due_days,
        "active": rule.active,
    }


def _commit_rule(action: str, rule: AssignmentRule, details: dict) -> None:
    audit.record(action, rule, details)
    ids = {"rule_id": rule.id, "action": action}
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("assignment rule changed", extra=ids)


def create_rule(
    *, department_id: int | None, position: str | None, course_id: int | None, due_days: object, by: User
) -> tuple[AssignmentRule, int]:
    """Create a rule and assign its course at once to everyone it matches; return it and how many people got it."""
    department, position, course, days = _checked_rule(department_id, position, course_id, due_days, None)
    rule = AssignmentRule(
        department=department,
        position=position,
        course=course,
        due_days=days,
        active=True,
        started_on=rules.today(),
        created_by_id=by.id,
    )
    db.session.add(rule)
    db.session.flush()
    result = rules.sync(db.session, rule_ids=[rule.id], on=rule.started_on)
    _commit_rule("rule.created", rule, {**_rule_details(rule), "assigned": len(result.added)})
    return rule, len(result.added)


def update_rule(
    rule: AssignmentRule, *, department_id: int | None, position: str | None, course_id: int | None, due_days: object
) -> rules.SyncResult:
    """Change a rule; an active one is applied again at once (new matches get it, people out of scope lose it)."""
    before = _rule_details(rule)
    department, position, course, days = _checked_rule(department_id, position, course_id, due_days, rule.id)
    rule.department, rule.position, rule.course, rule.due_days = department, position, course, days
    db.session.flush()
    result = rules.sync(db.session, rule_ids=[rule.id]) if rule.active else rules.SyncResult()
    details = {"from": before, "to": _rule_details(rule), "assigned": len(result.added), "removed": result.removed}
    _commit_rule("rule.changed", rule, details)
    return result


def pause_rule(rule: AssignmentRule) -> None:
    """Pause a rule: it assigns nobody new and removes nothing until resumed (its assignments stay)."""
    if not rule.active:
        raise RuleConflict(str(_l("这条规则已经暂停。")))
    rule.active = False
    _commit_rule("rule.paused", rule, _rule_details(rule))


def resume_rule(rule: AssignmentRule) -> rules.SyncResult:
    """Resume a rule: it starts again today and is applied at once to everyone it matches."""
    if rule.active:
        raise RuleConflict(str(_l("这条规则正在生效。")))
    rule.active = True
    rule.started_on = rules.today()
    db.session.flush()
    result = rules.sync(db.session, rule_ids=[rule.id], on=rule.started_on)
    details = {**_rule_details(rule), "assigned": len(result.added), "removed": result.removed}
    _commit_rule("rule.resumed", rule, details)
    return result


def delete_rule(rule: AssignmentRule, *, keep: bool) -> int:
    """Delete a rule; its assignments stay as personal ones (``keep``) or are removed. Return how many there were."""
    table = Assignment.__table__
    people = list(db.session.scalars(select(Assignment.user_id).where(Assignment.rule_id == rule.id)))
    details = {**_rule_details(rule), "assignments": len(people), "kept": keep}
    if keep:
        db.session.execute(update(table).where(table.c.rule_id == rule.id).values(rule_id=None))
    else:
        db.session.execute(delete(table).where(table.c.rule_id == rule.id))
        enrolments.note_people(db.session, [p for p in people if p is not None])
    audit.record("rule.deleted", rule, details)
    db.session.delete(rule)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("assignment rule deleted", extra={"assignments": len(people), "kept": keep})
    return len(people)
