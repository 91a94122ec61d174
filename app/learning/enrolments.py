"""Enrolments: which person must complete which course — the one home of the enrolment rule.

A person is enrolled in a course assigned to them, to a cohort they are a trainee of, or to their
department — so people who join a cohort or department later are enrolled without a new assignment.
Archived courses enrol nobody. ``resolved`` states these rules as one query; the stored rows of the
``enrolments`` table are its result, refreshed by the unit of work: a flush that adds, changes or
removes an assignment, a cohort membership, a person (or their department) or a course's archived
flag marks the people concerned, and their rows are rebuilt just before the transaction commits
(once, however many flushes it had), so they commit or roll back together with the change.

Everybody else reads the stored rows (a scan of one table instead of resolving every assignment on
every request): ``course_ids`` for one person's pages (learning, assessments, role-play),
``enrolments`` for completion's reminders and the reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, and_, delete, event, func, insert, inspect, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session

from app.accounts.locking import lock_people
from app.accounts.models import CohortMember, User
from app.learning.models import Assignment, Course, Enrolment

CHUNK = 1000  # people per DELETE/INSERT pair (keeps the statements' parameter lists short)


def enrolments() -> Any:
    """Subquery (user_id, course_id, due_date): every live course assigned to every person, earliest due date."""
    return select(Enrolment.user_id, Enrolment.course_id, Enrolment.due_date).subquery("enrolments")


def course_ids(user_id: int) -> Select:
    """Select the ids of the live courses a person is enrolled in (the stored rows)."""
    return select(Enrolment.course_id).where(Enrolment.user_id == user_id)


def resolved(user_ids: Iterable[int] | None = None) -> Any:
    """The enrolment rules as a query (user_id, course_id, due_date), for some people or everyone.

    Archived courses are left out inside each branch, where the planner knows the tables' statistics.
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
    if user_ids is not None:
        ids = list(user_ids)
        direct = direct.where(Assignment.user_id.in_(ids))
        by_cohort = by_cohort.where(CohortMember.user_id.in_(ids))
        by_department = by_department.where(User.id.in_(ids))
    pairs = union_all(direct, by_cohort, by_department).subquery("pairs")
    return select(pairs.c.user_id, pairs.c.course_id, func.min(pairs.c.due_date)).group_by(
        pairs.c.user_id, pairs.c.course_id
    )


def refresh(session: Session | Connection, user_ids: Iterable[int] | None = None) -> None:
    """Rebuild the stored enrolments of some people (``None``: everyone) from the rules, in the session's transaction."""
    table, columns = Enrolment.__table__, ["user_id", "course_id", "due_date"]
    postgresql = (session if isinstance(session, Connection) else session.get_bind()).dialect.name == "postgresql"
    if user_ids is None:
        if postgresql:  # one full rebuild at a time, and none beside a person's rebuild
            session.execute(text("LOCK TABLE enrolments IN EXCLUSIVE MODE"))
        session.execute(delete(table))
        session.execute(insert(table).from_select(columns, resolved()))
        return
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        # Two transactions rebuilding one person would each delete the old rows and insert new ones:
        # the second insert would collide with the first's. Locking the people makes the second wait,
        # then see and replace the first's rows.
        lock_people(session, chunk)
        session.execute(delete(table).where(table.c.user_id.in_(chunk)))
        session.execute(insert(table).from_select(columns, resolved(chunk)))


# Keeping the rows current ------------------------------------------------------------------------

_KEY = "enrolment_changes"


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _old_and_new(obj: Any, name: str) -> set:
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.deleted, *history.unchanged, *history.added) if v is not None}


def _changes(session: Session | scoped_session) -> dict:
    return session.info.setdefault(_KEY, {"all": False, "users": set(), "cohorts": set(), "departments": set()})


def note_people(session: Session | scoped_session, user_ids: Iterable[int]) -> None:
    """Have these people's enrolments rebuilt before the commit (after assignments written with Core statements)."""
    _changes(session)["users"].update(user_ids)


def _collect(session: Session, _context: Any) -> None:
    """After a flush: note whose enrolments the flushed objects may change (the rebuild runs after it)."""
    changes = _changes(session)
    new, dirty = set(session.new), set(session.dirty)  # each is rebuilt from the identity map when read
    for obj in (*new, *dirty, *session.deleted):
        if isinstance(obj, CohortMember):
            changes["users"] |= _old_and_new(obj, "user_id")
        elif isinstance(obj, Assignment):
            if obj in dirty and not _changed(obj, "user_id", "cohort_id", "department_id", "course_id", "due_date"):
                continue
            changes["users"] |= _old_and_new(obj, "user_id")
            changes["cohorts"] |= _old_and_new(obj, "cohort_id")
            changes["departments"] |= _old_and_new(obj, "department_id")
        elif isinstance(obj, User):
            if obj in new or _changed(obj, "department_id"):
                changes["users"].add(obj.id)
        elif isinstance(obj, Course) and obj in dirty and _changed(obj, "archived"):
            changes["all"] = True


def _apply(session: Session) -> None:
    """Before commit: rebuild the enrolments noted by ``_collect`` (one rebuild per transaction, however many flushes)."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook; collect its changes first
    changes = session.info.pop(_KEY, None)
    if not changes:
        return
    if changes["all"]:
        refresh(session)
        return
    users = set(changes["users"])
    if changes["cohorts"]:
        users |= set(
            session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id.in_(changes["cohorts"])))
        )
    if changes["departments"]:
        users |= set(session.scalars(select(User.id).where(User.department_id.in_(changes["departments"]))))
    if users:
        refresh(session, users)


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_KEY, None)


def track() -> None:
    """Listen to every session's flushes (idempotent)."""
    for name, listener in (("after_flush", _collect), ("before_commit", _apply), ("after_rollback", _forget)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
