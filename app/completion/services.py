"""Writes for completion: recompute records, waive items and courses, revoke waivers, issue, revoke and expire certificates.

A certificate is valid exactly while its completion holds: a recompute that leaves 'complete' revokes
the valid certificate (with the reason), one that reaches 'complete' issues a new one (new code; the
old rows stay as history). HR may revoke one by hand. A renewable course's certificate expires
``renew_every_months`` after issue (``expire_certificates``), which starts a new completion cycle.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from datetime import date
from typing import IO, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, delete, select, union, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.assessments.enums import AttemptStatus
from app.assessments.models import Attempt, Quiz
from app.completion import evidence, notices
from app.completion.codes import new_code
from app.completion.enums import CertificateStatus, CompletionStatus, ItemKind, ItemState
from app.completion.models import Certificate, CourseCompletion, CourseWaiver, Waiver
from app.completion.rules import Checklist, evaluate
from app.core import audit
from app.core.domain import Conflict, InvalidInput, NotAllowed
from app.core.forms import has_control_characters
from app.core.signals import certificate_expired
from app.core.time import utcnow
from app.core.urls import path_for
from app.extensions import db
from app.learning.models import Course, ModuleProgress
from app.notifications.services import notify
from app.roleplay.models import RoleplayCard, Submission

log = logging.getLogger(__name__)

RULE_KEYS: dict[str, str] = {ItemKind.QUIZ: "quizzes", ItemKind.ROLEPLAY: "roleplays"}


def _rowcount(result: object) -> int:
    """The number of rows an UPDATE or DELETE statement changed."""
    return cast(CursorResult, result).rowcount


class CompletionError(Conflict):
    """A request that cannot be carried out; the message is for the user."""


class ReasonError(InvalidInput):
    """A reason or file that is refused (empty, too long, control characters, wrong type); the message is for the user."""


REVOKE_ROLES = ("hr", "admin")


def recompute(user_id: int, course: Course, *, reason: str | None = None) -> CourseCompletion:
    """Recompute and store one person's completion of one course (retries once on a concurrent insert).

    ``reason`` is written on a certificate this recompute revokes (completion lost).
    """
    return recompute_courses(user_id, [course], reason=reason)[course.id]


def recompute_courses(
    user_id: int, courses: Iterable[Course], *, keep_untouched: bool = True, reason: str | None = None
) -> dict:
    """Recompute one person's courses in one transaction; return the stored rows by course id.

    With ``keep_untouched=False`` no row is created for a course the person has not started.
    """
    courses = list(courses)
    try:
        return _store(user_id, courses, evaluate(user_id, courses), keep_untouched, reason)
    except IntegrityError:
        db.session.rollback()
        return _store(user_id, courses, evaluate(user_id, courses), keep_untouched, reason)


def _store(
    user_id: int,
    courses: list[Course],
    checklists: dict[int, Checklist],
    keep_untouched: bool,
    reason: str | None = None,
) -> dict:
    rows = _stored_rows(user_id, courses)
    completed = []
    lost = []
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
            if was_complete:
                lost.append(course)
    for course in completed:
        _issue_certificate(user_id, course, checklists[course.id])
    for course in lost:
        _revoke_valid(user_id, course.id, reason or str(_l("课程完成条件不再满足（成绩、豁免或课程内容发生了变化）。")))
    db.session.commit()
    if moved:
        log.info(
            "completion recomputed",
            extra={"user_id": user_id, "courses": moved, "completed_course_ids": [course.id for course in completed]},
        )
    return rows


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _valid_certificate(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.course_id == course_id,
            Certificate.status == CertificateStatus.VALID,
        )
    )


def _issue_certificate(user_id: int, course: Course, checklist: Checklist) -> Certificate | None:
    """Issue a new certificate (new code) and tell the person, unless a valid one exists."""
    if _valid_certificate(user_id, course.id) is not None:
        return None
    user = db.session.get_one(User, user_id)
    now = utcnow()
    cert = Certificate(
        code=new_code(),
        user_id=user_id,
        course_id=course.id,
        recipient_name=user.name,
        course_title=course.title,
        employee_no=user.employee_no,
        minutes=sum(module.minutes for module in course.active_modules),
        waived=checklist.course_waiver is not None,
        issued_at=now,
        expires_at=add_months(now.date(), course.renew_every_months) if course.renew_every_months else None,
        status=CertificateStatus.VALID,
    )
    db.session.add(cert)
    notify(user_id, notices.COMPLETED, {"course": course.title}, path_for("learning.course", slug=course.slug))
    return cert


def _revoke_valid(user_id: int, course_id: int, reason: str, by: User | None = None) -> int:
    """Revoke the person's valid certificate of a course (completion lost); return how many were revoked."""
    cert = _valid_certificate(user_id, course_id)
    return 0 if cert is None else _revoke(cert, reason, by)


def _revoke(cert: Certificate, reason: str, by: User | None) -> int:
    """Mark one valid certificate revoked (a conditional UPDATE: a race revokes once), audit it, tell the person."""
    done = _rowcount(
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == cert.id, Certificate.status == CertificateStatus.VALID)
            .values(
                status=CertificateStatus.REVOKED.value,
                revoked_at=utcnow(),
                revoked_reason=reason[:500],
                revoked_by_id=by.id if by else None,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if done != 1:
        return 0
    db.session.refresh(cert)
    user = db.session.get(User, cert.user_id)
    audit.record(
        "completion.certificate_revoked",
        user,
        {
            "username": user.username if user else None,
            "certificate_id": cert.id,
            "code": cert.code,
            "course_title": cert.course_title,
            "reason": reason,
            "by": by.username if by else None,
            "automatic": by is None,
        },
    )
    notify(cert.user_id, notices.CERTIFICATE_REVOKED, {"course": cert.course_title}, path_for("reports.home"))
    log.info("certificate revoked", extra={"certificate_id": cert.id, "user_id": cert.user_id, "by_id": by and by.id})
    return 1


def check_reason(reason: str | None, *, required: bool, label: str) -> str:
    """A stripped reason, refused when empty (if required), longer than 500 characters or holding control characters."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ReasonError(str(_l("请填写%(label)s。", label=label)))
    if len(reason) > 500:
        raise ReasonError(str(_l("%(label)s不能超过 500 个字。", label=label)))
    if has_control_characters(reason):
        raise ReasonError(str(_l("%(label)s不能包含控制字符。", label=label)))
    return reason


def revoke_certificate(cert: Certificate, by: User, reason: str | None) -> Certificate:
    """HR (or an admin) revokes a valid certificate by hand, with a reason; audited, the person is told."""
    if not by.has_role(*REVOKE_ROLES):
        raise NotAllowed(str(_l("只有人事或管理员可以撤销证书。")))
    reason = check_reason(reason, required=True, label=str(_l("撤销原因")))
    if cert.state(date.today()) != CertificateStatus.VALID or not _revoke(cert, reason, by):
        db.session.rollback()
        raise CompletionError(str(_l("该证书已被撤销或已过期，无法再撤销。")))
    db.session.commit()
    return cert


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
        select(CourseWaiver.user_id),
    ).subquery()
    user_ids = db.session.scalars(select(active.c[0])).all()
    courses = db.session.scalars(select(Course)).all()
    for user_id in user_ids:
        recompute_courses(user_id, courses, keep_untouched=False)
    return len(user_ids)


def waive(user: User, course: Course, kind: str, slug: str, reason: str, by: User) -> Waiver:
    """Excuse one checklist item with a reason, then recompute the course (a waiver alone never completes it)."""
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
    db.session.execute(  # a waiver from before the current cycle no longer counts: replace it
        delete(Waiver).where(
            Waiver.user_id == user.id, Waiver.course_id == course.id, Waiver.kind == kind, Waiver.slug == slug
        )
    )
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

    A course that was complete only thanks to the waiver goes back to in progress, and its valid
    certificate is revoked with the reason "waiver revoked".
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
    if _rowcount(db.session.execute(delete(Waiver).where(Waiver.id == waiver.id))) != 1:
        db.session.rollback()
        raise CompletionError(str(_l("该豁免已被撤销。")))
    audit.record("completion.waiver_revoked", user, details)
    ids = {"waiver_id": waiver.id, "user_id": waiver.user_id, "course_id": waiver.course_id, "by_id": by.id}
    db.session.commit()
    log.info("waiver revoked", extra=ids)
    because = str(_l("豁免被撤销，课程不再满足完成条件。"))
    return recompute(user.id, course, reason=f"{because}{' ' + reason if reason else ''}")


# --- whole-course waivers (免修) -------------------------------------------------------------------


def waive_course(
    user: User, course: Course, reason: str | None, by: User, upload: IO[bytes] | None = None, filename: str = ""
) -> CourseWaiver:
    """HR excuses a whole course for one person (免修) with a reason and an optional evidence file; a certificate marked 免修 follows."""
    if not by.has_role("hr"):
        raise NotAllowed(str(_l("只有人事可以免修课程。")))
    reason = check_reason(reason, required=True, label=str(_l("免修原因")))
    if evaluate(user.id, [course])[course.id].status == CompletionStatus.COMPLETE:
        raise CompletionError(str(_l("该课程已完成，无需免修。")))
    stored = evidence.store(upload) if upload is not None else None
    try:
        stale = db.session.scalars(
            select(CourseWaiver).where(CourseWaiver.user_id == user.id, CourseWaiver.course_id == course.id)
        ).all()
        for old in stale:  # from before the current cycle (it no longer counts): replaced
            db.session.delete(old)
        db.session.flush()
        waiver = CourseWaiver(
            user_id=user.id,
            course_id=course.id,
            reason=reason,
            by_id=by.id,
            evidence_name=stored.name if stored else None,
            evidence_mime=stored.mime if stored else None,
            evidence_filename=evidence.safe_filename(filename, stored.mime) if stored else None,
        )
        db.session.add(waiver)
        audit.record(
            "completion.course_waived",
            user,
            {"username": user.username, "course": course.slug, "reason": reason, "evidence": bool(stored)},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        evidence.delete(stored.name if stored else None)
        raise
    for old in stale:
        evidence.delete(old.evidence_name)
    log.info("course waived", extra={"user_id": user.id, "course_id": course.id, "by_id": by.id})
    recompute(user.id, course)
    return waiver


def revoke_course_waiver(waiver: CourseWaiver, by: User, reason: str | None = None) -> CourseCompletion:
    """Delete a whole-course waiver (audited); its 免修 certificate is revoked and the course recomputed."""
    if not by.has_role("hr"):
        raise NotAllowed(str(_l("只有人事可以撤销免修。")))
    reason = check_reason(reason, required=False, label=str(_l("撤销原因")))
    user = db.session.get_one(User, waiver.user_id)
    course = db.session.get_one(Course, waiver.course_id)
    name = waiver.evidence_name
    details = {
        "username": user.username,
        "course": course.slug,
        "waiver_reason": waiver.reason,
        "waived_by": waiver.by.username if waiver.by else None,
        "waived_at": waiver.created_at.isoformat(timespec="seconds"),
        "revoked_by": by.username,
        "reason": reason,
    }
    if _rowcount(db.session.execute(delete(CourseWaiver).where(CourseWaiver.id == waiver.id))) != 1:
        db.session.rollback()
        raise CompletionError(str(_l("该免修已被撤销。")))
    audit.record("completion.course_waiver_revoked", user, details)
    because = str(_l("课程免修被撤销。")) + (f" {reason}" if reason else "")
    waived_cert = db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.status == CertificateStatus.VALID,
            Certificate.waived.is_(True),
        )
    )
    if waived_cert is not None:
        _revoke(waived_cert, because, by)
    db.session.commit()
    evidence.delete(name)
    row = recompute(user.id, course, reason=because)
    if row.status == CompletionStatus.COMPLETE and _valid_certificate(user.id, course.id) is None:
        # complete on its own evidence too: a certificate without 免修 replaces the revoked one
        _issue_certificate(user.id, course, evaluate(user.id, [course])[course.id])
        db.session.commit()
    return row


# --- recertification ---------------------------------------------------------------------------


def expire_certificates(today: date | None = None) -> int:
    """Mark the valid certificates whose expiry day has come expired, start a new cycle, tell learning; safe to repeat.

    Each certificate is expired by a conditional UPDATE and committed on its own, then the person's
    completion of the course starts a new cycle (earlier evidence no longer counts), is recomputed,
    and ``certificate_expired`` is sent so learning assigns the course again.
    """
    today = today or date.today()
    due = db.session.execute(
        select(Certificate.id, Certificate.user_id, Certificate.course_id, Certificate.expires_at)
        .where(Certificate.status == CertificateStatus.VALID, Certificate.expires_at <= today)
        .order_by(Certificate.id)
    ).all()
    expired = 0
    for cert_id, user_id, course_id, expires_at in due:
        done = _rowcount(
            db.session.execute(
                update(Certificate)
                .where(Certificate.id == cert_id, Certificate.status == CertificateStatus.VALID)
                .values(status=CertificateStatus.EXPIRED.value)
                .execution_options(synchronize_session=False)
            )
        )
        if done != 1:  # another run took it
            db.session.rollback()
            continue
        row = db.session.scalar(
            select(CourseCompletion).where(CourseCompletion.user_id == user_id, CourseCompletion.course_id == course_id)
        )
        if row is None:
            row = CourseCompletion(user_id=user_id, course_id=course_id, status=CompletionStatus.NOT_STARTED)
            db.session.add(row)
        row.cycle_started_at = utcnow()
        db.session.commit()
        expired += 1
        log.info("certificate expired", extra={"certificate_id": cert_id, "user_id": user_id, "course_id": course_id})
        recompute_for_course_id(user_id, course_id)
        certificate_expired.send(
            db.session.get(Certificate, cert_id), user_id=user_id, course_id=course_id, expired_on=expires_at
        )
    return expired


def renewal_due_days() -> int:
    """How many days a person has to complete a renewed course (``RENEWAL_DUE_DAYS``)."""
    return int(current_app.config.get("RENEWAL_DUE_DAYS", 30))
