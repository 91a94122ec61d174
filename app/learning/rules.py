"""Assignment rules: "everyone in department D and/or position P gets course C, due N days after joining".

A rule's assignments are ordinary one-person assignments that name it (``Assignment.rule_id``). The
one function that writes them is :func:`sync`: for some people and/or some rules it compares what
the active rules want (every active person who matches, due N days from today) with the rule rows
stored, inserts the missing ones and deletes those whose person no longer matches — each with one
statement, whatever the number of people. It runs

* when HR creates, edits or resumes a rule (``services.create_rule`` …): for that rule, everyone;
* when a person is created, moves department, changes position or is reactivated: a flush listener
  notes them and, just before the transaction commits, syncs them — in the transaction of the change
  (the staff import, the admin's user page, a background job: whatever wrote the person).

Decisions (``docs/architecture.md``, "Assignment rules"):

* matching: department by id; position exactly, after trimming both sides (case and inner spaces count);
  only active people; every role (as a department assignment);
* due date: the day the rule reaches the person (its start or resumption for people already there,
  the day they were created or moved for newcomers) plus N days; later edits of N apply to later arrivals;
* a person who already holds a hand-made assignment of the course to them gets no rule row (the
  enrolment would be the same); department and cohort assignments do not count (their due date is HR's);
* leaving the scope removes the rule's assignment (also when the course was completed: the completion
  record and certificate stay and the transcript still lists the course); a paused rule neither adds
  nor removes; deactivating a person changes nothing (reactivating syncs them again);
* a rule row removed by hand comes back only when the person next joins the scope or the rule is
  edited or resumed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, event, func, insert, inspect, or_, select
from sqlalchemy.orm import Session, scoped_session

from app.accounts.models import User
from app.learning import enrolments
from app.learning.models import Assignment, AssignmentRule

CHUNK = 1000  # people per statement (keeps parameter lists short)
MAX_DUE_DAYS = 3650
_KEY = "assignment_rule_people"


def today() -> date:
    """The day a rule reaches a person (the start of their N days)."""
    return date.today()


def clean_position(value: str | None) -> str | None:
    """A position as rules store and match it: trimmed; empty means none."""
    value = (value or "").strip()
    return value or None


def matches() -> Any:
    """The SQL condition "this user (``User``) is in this rule's (``AssignmentRule``) scope"."""
    return and_(
        User.active.is_(True),
        or_(AssignmentRule.department_id.is_(None), User.department_id == AssignmentRule.department_id),
        or_(AssignmentRule.position.is_(None), func.trim(User.position) == AssignmentRule.position),
    )


@dataclass
class SyncResult:
    """What one sync wrote: the people given a rule's course, and how many rule rows it removed."""

    added: list[int] = field(default_factory=list)
    removed: int = 0


def sync(
    session: Session | scoped_session,
    *,
    user_ids: Iterable[int] | None = None,
    rule_ids: Iterable[int] | None = None,
    on: date | None = None,
) -> SyncResult:
    """Bring the rule rows of some people and/or rules in line with the active rules (a fixed number of statements)."""
    result = SyncResult()
    if user_ids is None:
        _sync_chunk(session, None, None if rule_ids is None else list(rule_ids), on or today(), result)
        return result
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _sync_chunk(session, chunk, None if rule_ids is None else list(rule_ids), on or today(), result)
    return result


def _sync_chunk(
    session: Session | scoped_session,
    user_ids: list[int] | None,
    rule_ids: list[int] | None,
    on: date,
    result: SyncResult,
) -> None:
    """One chunk of :func:`sync`: three reads, at most one INSERT and one DELETE."""
    wanted_q = select(AssignmentRule.id, AssignmentRule.course_id, AssignmentRule.due_days, User.id).join(
        User, matches()
    )
    wanted_q = wanted_q.where(AssignmentRule.active.is_(True))
    stored_q = (
        select(Assignment.id, Assignment.rule_id, Assignment.user_id, Assignment.course_id)
        .join(AssignmentRule, AssignmentRule.id == Assignment.rule_id)
        .join(User, User.id == Assignment.user_id)
        .where(AssignmentRule.active.is_(True), User.active.is_(True))
    )
    if user_ids is not None:
        wanted_q = wanted_q.where(User.id.in_(user_ids))
        stored_q = stored_q.where(Assignment.user_id.in_(user_ids))
    if rule_ids is not None:
        wanted_q = wanted_q.where(AssignmentRule.id.in_(rule_ids))
        stored_q = stored_q.where(Assignment.rule_id.in_(rule_ids))
    wanted: dict[tuple[int, int], tuple[int, int]] = {
        (rule, user): (course, days) for rule, course, days, user in session.execute(wanted_q)
    }
    stored: dict[tuple[Any, Any], tuple[int, int]] = {
        (rule, user): (row_id, course) for row_id, rule, user, course in session.execute(stored_q)
    }

    stale = [row_id for key, (row_id, course) in stored.items() if key not in wanted or wanted[key][0] != course]
    missing = {key: value for key, value in wanted.items() if key not in stored or stored[key][1] != value[0]}
    if missing:  # a person's own (hand-made) assignment of the course stands for the rule's
        people = sorted({user for _, user in missing})
        courses = sorted({course for course, _ in missing.values()})
        own = {
            (user, course)
            for user, course in session.execute(
                select(Assignment.user_id, Assignment.course_id).where(
                    Assignment.rule_id.is_(None), Assignment.user_id.in_(people), Assignment.course_id.in_(courses)
                )
            )
        }
        missing = {key: value for key, value in missing.items() if (key[1], value[0]) not in own}
    touched: set[int] = set()
    if stale:
        session.execute(delete(Assignment.__table__).where(Assignment.__table__.c.id.in_(stale)))
        gone = set(stale)
        touched |= {user for (_, user), (row_id, _) in stored.items() if row_id in gone}
        result.removed += len(stale)
    if missing:
        rows = [
            {"course_id": course, "user_id": user, "rule_id": rule, "due_date": on + timedelta(days=days)}
            for (rule, user), (course, days) in sorted(missing.items())
        ]
        session.execute(insert(Assignment.__table__), rows)  # created_at: the column's default
        touched |= {user for _, user in missing}
        result.added += sorted({user for _, user in missing})
    if touched:
        enrolments.note_people(session, touched)


# Reads for HR's rule pages (a fixed number of statements each).


def rule_rows() -> Select:
    """Select every rule with the number of people it has assigned, active first, by course and department."""
    assigned = (
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.rule_id == AssignmentRule.id)
        .correlate(AssignmentRule)
        .scalar_subquery()
    )
    return select(AssignmentRule, assigned.label("assigned")).order_by(
        AssignmentRule.active.desc(), AssignmentRule.course_id, AssignmentRule.id
    )


def assigned_count(rule_id: int) -> Select:
    """Select how many assignments a rule has made (that still exist)."""
    return select(func.count()).select_from(Assignment).where(Assignment.rule_id == rule_id)


def rule_people(rule_id: int) -> Select:
    """Select the people a rule has assigned (with their due date), by name."""
    return (
        select(User, Assignment.due_date)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.rule_id == rule_id)
        .order_by(User.name, User.id)
    )


# The listener: people who join, move or change position are synced in the transaction of the change.


def _relevant(user: User, new: bool) -> bool:
    if new:
        return True
    state: Any = inspect(user)
    return any(
        state.attrs[name].history.has_changes() for name in ("department_id", "department", "position", "active")
    )


def _collect(session: Session, _context: Any) -> None:
    """After a flush: note the people created, moved, re-positioned or reactivated (synced before the commit)."""
    new = set(session.new)
    people = {obj.id for obj in (*new, *session.dirty) if isinstance(obj, User) and _relevant(obj, obj in new)}
    if people:
        session.info.setdefault(_KEY, set()).update(people)


def _apply(session: Session) -> None:
    """Before commit: sync the noted people with the active rules (once per transaction)."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook; collect its changes first
    people = session.info.pop(_KEY, None)
    if people:
        sync(session, user_ids=people)


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_KEY, None)


def track() -> None:
    """Listen to every session's flushes (idempotent); the sync runs before the enrolment rebuild it feeds."""
    for name, listener in (("after_flush", _collect), ("before_commit", _apply), ("after_rollback", _forget)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener, insert=name == "before_commit")
