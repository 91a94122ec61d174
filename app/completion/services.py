"""Writes for completion: recompute records, waive items and revoke waivers, issue certificates."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, union
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.assessments.enums import AttemptStatus
from app.assessments.models import Attempt, Quiz
from app.completion import notices
from app.completion.codes import new_code
from app.completion.enums import CompletionStatus, ItemKind, ItemState
from app.completion.models import Certificate, CourseCompletion, Waiver
from app.completion.rules import Checklist, evaluate
from app.core import audit
from app.core.domain import Conflict
from app.core.time import utcnow
from app.core.urls import path_for
from app.extensions import db
from app.learning.models import Course, ModuleProgress
from app.notifications.services import notify
from app.roleplay.models import RoleplayCard, Submission

log = logging.getLogger(__name__)

RULE_KEYS: dict[str, str] = {ItemKind.QUIZ: "quizzes", ItemKind.ROLEPLAY: "roleplays"}


class CompletionError(Conflict):
    """A request that cannot be carried out; the message is for the user."""


def recompute(user_id: int, course: Course) -> CourseCompletion:
    """Recompute and store one person's completion of one course (retries once on a concurrent insert)."""
    return recompute_courses(user_id, [course])[course.id]


def recompute_courses(user_id: int, courses: Iterable[Course], *, keep_untouched: bool = True) -> dict:
    """Recompute one person's courses in one transaction; return the stored rows by course id.

    With ``keep_untouched=False`` no row is created for a course the person has not started.
    """
    courses = list(courses)
    try:
        return _store(user_id, courses, evaluate(user_id, courses), keep_untouched)
    except IntegrityError:
        db.session.rollback()
        return _store(user_id, courses, evaluate(user_id, courses), keep_untouched)


def _store(user_id: int, courses: list[Course], checklists: dict[int, Checklist], keep_untouched: bool) -> dict:
    rows = _stored_rows(user_id, courses)
    completed = []
    moved: list[str] = []  # "course id: old -> new", for the log
    for course in courses:
        checklist = checklists[course.id]
        row = rows.get(course.id)
        if row is None:
            if not keep_untouched and checklist.status == CompletionStatus.NOT_STARTED:
                continue
            row = rows[course.id] = CourseCompletion(
                user_id=user_id, course_id=course.id, status=CompletionStatus.NOT_STARTED
            )
            db.session.add(row)
        was_complete = row.status == CompletionStatus.COMPLETE
        if row.status != checklist.status or row.id is None:
            moved.append(f"{course.id}: {row.status} -> {checklist.status}")
        row.status = checklist.status
        row.done, row.total = checklist.done, checklist.total
        row.items = [item.stored() for item in checklist.items]
        if row.status == CompletionStatus.COMPLETE and not was_complete:
            row.completed_at = utcnow()
            completed.append(course)
        elif row.status != CompletionStatus.COMPLETE:
            row.completed_at = None
    for course in completed:
        _issue_certificate(user_id, course)
    db.session.commit()
    if moved:
        log.info(
            "completion recomputed",
            extra={"user_id": user_id, "courses": moved, "completed_course_ids": [course.id for course in completed]},
        )
    return rows


def _issue_certificate(user_id: int, course: Course) -> None:
    """Create the certificate and tell the person, unless one was issued before (it stays once earned)."""
    exists = db.session.scalar(
        select(Certificate.id).where(Certificate.user_id == user_id, Certificate.course_id == course.id)
    )
    if exists:
        return
    user = db.session.get(User, user_id)
    db.session.add(
        Certificate(
            code=new_code(), user_id=user_id, course_id=course.id, recipient_name=user.name, course_title=course.title
        )
    )
    notify(user_id, notices.COMPLETED, {"course": course.title}, path_for("learning.course", slug=course.slug))


def recompute_for_course_id(user_id: int, course_id: int) -> CourseCompletion | None:
    """Recompute one course given by id (ignored when the course is gone)."""
    course = db.session.get(Course, course_id)
    return recompute(user_id, course) if course is not None else None


def recompute_requiring(user_id: int, kind: str, ref_id: int, result: tuple[bool, int | None] | None = None) -> dict:
    """Recompute every course whose rules name this quiz or role-play card.

    ``result`` is a new quiz attempt's (passed, percent): when every stored record already counts
    the quiz as done or the attempt failed, and already holds a best score at least as high, the
    attempt cannot change any record and nothing is recomputed (a retake that is no better).
    """
    found = db.session.get(Quiz if kind == ItemKind.QUIZ else RoleplayCard, ref_id)  # usually already in the session
    if found is None:
        return {}
    slug = found.slug
    key = RULE_KEYS[kind]
    courses = db.session.scalars(select(Course).where(Course.archived.is_(False))).all()
    wanted = [c for c in courses if slug in (c.completion or {}).get(key, [])]
    if not wanted:
        return {}
    if result is not None:
        stored = _stored_rows(user_id, wanted)
        if len(stored) == len(wanted) and all(_changes_nothing(row, kind, slug, result) for row in stored.values()):
            return stored
    return recompute_courses(user_id, wanted)


def _stored_rows(user_id: int, courses: list[Course]) -> dict[int, CourseCompletion]:
    rows = db.session.scalars(
        select(CourseCompletion).where(
            CourseCompletion.user_id == user_id, CourseCompletion.course_id.in_([c.id for c in courses])
        )
    )
    return {row.course_id: row for row in rows}


def _changes_nothing(row: CourseCompletion, kind: str, slug: str, result: tuple[bool, int | None]) -> bool:
    """Whether a new attempt with this result leaves the stored item exactly as it is."""
    passed, percent = result
    item = next((i for i in row.items or [] if i.get("kind") == kind and i.get("slug") == slug), None)
    if item is None or percent is None or item.get("score") is None:
        return False
    return (item.get("state") == ItemState.DONE or not passed) and item["score"] >= percent


def recompute_all() -> int:
    """Recompute everyone with any learning activity (after a content load changed the rules); return how many people."""
    active = union(
        select(CourseCompletion.user_id),
        select(ModuleProgress.user_id),
        select(Attempt.user_id).where(Attempt.status == AttemptStatus.SUBMITTED),
        select(Submission.trainee_id),
        select(Waiver.user_id),
    ).subquery()
    user_ids = db.session.scalars(select(active.c[0])).all()
    courses = db.session.scalars(select(Course)).all()
    for user_id in user_ids:
        recompute_courses(user_id, courses, keep_untouched=False)
    return len(user_ids)


def waive(user: User, course: Course, kind: str, slug: str, reason: str, by: User) -> Waiver:
    """Excuse one checklist item with a reason, then recompute the course."""
    reason = (reason or "").strip()
    if not reason:
        raise CompletionError(str(_l("请填写豁免原因。")))
    if len(reason) > 500:
        raise CompletionError(str(_l("豁免原因不能超过 500 个字。")))
    checklist = evaluate(user.id, [course])[course.id]
    item = next((i for i in checklist.items if i.kind == kind and i.slug == slug), None)
    if item is None:
        raise CompletionError(str(_l("该课程没有这一项要求。")))
    if item.satisfied:
        raise CompletionError(str(_l("这一项已完成或已豁免，无需再豁免。")))
    waiver = Waiver(user_id=user.id, course_id=course.id, kind=kind, slug=slug, reason=reason, by_id=by.id)
    db.session.add(waiver)
    audit.record(
        "completion.waived",
        user,
        {"username": user.username, "course": course.slug, "kind": kind, "slug": slug, "reason": reason},
    )
    db.session.flush()
    ids = {
        "waiver_id": waiver.id,
        "user_id": user.id,
        "course_id": course.id,
        "kind": str(kind),
        "slug": slug,
        "by_id": by.id,
    }
    db.session.commit()
    log.info("item waived", extra=ids)
    recompute(user.id, course)
    return waiver


def revoke_waiver(waiver: Waiver, by: User, reason: str | None = None) -> CourseCompletion:
    """Delete a waiver (the audit log keeps its details), then recompute the course as ``waive`` does.

    A course that was complete only thanks to the waiver goes back to in progress; a certificate
    already issued stays, as after any other loss of completion (certificates are kept once earned).
    """
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise CompletionError(str(_l("撤销原因不能超过 500 个字。")))
    user = db.session.get(User, waiver.user_id)
    course = db.session.get(Course, waiver.course_id)
    details = {
        "username": user.username,
        "course": course.slug,
        "kind": waiver.kind,
        "slug": waiver.slug,
        "waiver_reason": waiver.reason,
        "waived_by": waiver.by.username if waiver.by else None,
        "waived_at": waiver.created_at.isoformat(timespec="seconds"),
        "revoked_by": by.username,
        "reason": reason,
    }
    if db.session.execute(delete(Waiver).where(Waiver.id == waiver.id)).rowcount != 1:
        db.session.rollback()
        raise CompletionError(str(_l("该豁免已被撤销。")))
    audit.record("completion.waiver_revoked", user, details)
    ids = {"waiver_id": waiver.id, "user_id": waiver.user_id, "course_id": waiver.course_id, "by_id": by.id}
    db.session.commit()
    log.info("waiver revoked", extra=ids)
    return recompute(user.id, course)
