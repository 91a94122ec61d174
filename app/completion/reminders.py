"""Due-soon and overdue reminders (``flask reminders send``, safe to repeat) and "remind now".

Scheduled reminders follow the windows of :mod:`app.completion.windows` (REMINDER_DAYS_BEFORE,
default 7 and 1 days before the due date, then every REMINDER_OVERDUE_EVERY_DAYS, default 7, while
overdue), only while the course is not complete. Each is one ReminderLog row (person, course, kind,
due date, step: the window or the overdue week), written before anything is sent, so a second run
the same day sends nothing, a weekly overdue reminder goes out once per week, and a changed due date
earns new reminders. :func:`send` is a plain function of the day, for the command and a job engine.

"Remind now" (:func:`remind`, :func:`remind_overdue`): HR reminds anyone, a manager the people of
their departments, about a course that is overdue or due within the first window; once per person
and course within REMINDER_THROTTLE_MINUTES; audited.

In-app always; e-mail when SMTP is configured, best effort: when the server fails, the in-app
reminders stand and the failure is reported (those e-mails are not retried).
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy.exc import IntegrityError

from app.accounts import managers
from app.accounts.models import CohortMember, User, UserRole
from app.completion import notices
from app.completion.enums import CompletionStatus, ReminderKind
from app.completion.models import CourseCompletion, ReminderLog
from app.completion.windows import Windows
from app.core import audit
from app.core.domain import Conflict, InvalidInput, NotAllowed
from app.core.pagination import parse_int
from app.core.time import utcnow
from app.core.urls import path_for
from app.extensions import db
from app.learning.enrolments import enrolments
from app.learning.models import Course
from app.notifications.services import notify, send_email, smtp_settings

SCHEDULED = (ReminderKind.DUE_SOON.value, ReminderKind.OVERDUE.value)
status_expr = func.coalesce(CourseCompletion.status, literal(CompletionStatus.NOT_STARTED.value))


@dataclass
class Sent:
    """What one run (or one "remind now") sent."""

    notifications: int = 0
    emails: int = 0
    email_error: str | None = None
    skipped: int = 0  # "remind now": reminded too recently


class Owed(NamedTuple):
    """One reminder owed: who, which course, its due date, and which window or week."""

    user_id: int
    email: str | None
    course_id: int
    title: str
    slug: str
    due_date: date
    kind: ReminderKind
    step: int


def windows() -> Windows:
    """The configured reminder windows."""
    return Windows.from_config(current_app.config)


def open_enrolments(e: Any, columns: list[Any]) -> Select:
    """Enrolments of active trainees in live courses that are not complete (``e``: the enrolments)."""
    return (
        select(*columns)
        .select_from(e)
        .join(User, User.id == e.c.user_id)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "trainee"))
        .join(Course, Course.id == e.c.course_id)
        .outerjoin(
            CourseCompletion,
            and_(CourseCompletion.user_id == e.c.user_id, CourseCompletion.course_id == e.c.course_id),
        )
        .where(User.active.is_(True), Course.archived.is_(False), status_expr != CompletionStatus.COMPLETE)
    )


def due(today: date, win: Windows | None = None) -> list[Owed]:
    """Reminders owed today and not yet sent, in person and course order (two queries)."""
    win = win or windows()
    e = enrolments()
    horizon = e.c.due_date <= today + timedelta(days=win.horizon)
    rows = db.session.execute(
        open_enrolments(e, [User.id, User.email, Course.id, Course.title, Course.slug, e.c.due_date])
        .where(horizon)
        .order_by(User.id, Course.position)
    ).all()
    sent = {
        tuple(row)
        for row in db.session.execute(
            select(ReminderLog.user_id, ReminderLog.course_id, ReminderLog.kind, ReminderLog.due_date, ReminderLog.step)
            .join(e, and_(e.c.user_id == ReminderLog.user_id, e.c.course_id == ReminderLog.course_id))
            .where(ReminderLog.kind.in_(SCHEDULED), ReminderLog.due_date == e.c.due_date, horizon)
        )
    }
    owed = []
    for (
        user_id,
        email,
        course_id,
        title,
        slug,
        due_date,
    ) in rows:
        step = win.step(due_date, today)
        if step is not None and (user_id, course_id, step[0].value, due_date, step[1]) not in sent:
            owed.append(Owed(user_id, email, course_id, title, slug, due_date, *step))
    return owed


def deliver(sent: Sent, emails: list[tuple[str, str, str]]) -> Sent:
    """Send the e-mails when SMTP is configured (best effort: a failure is reported, not raised)."""
    settings = smtp_settings()
    if settings and emails:
        try:
            sent.emails = send_email(settings, emails)
        except (OSError, smtplib.SMTPException) as error:  # in-app reminders stand; e-mail is best effort
            sent.email_error = str(error)
    return sent


def _subject() -> str:
    with force_locale("zh_CN"):
        return _("客服学院学习提醒")


def send(today: date | None = None) -> Sent:
    """Record and send every reminder owed today; each is committed before its e-mail goes out (idempotent)."""
    today = today or date.today()
    sent = Sent()
    emails = []
    for owed in due(today):
        db.session.add(
            ReminderLog(
                user_id=owed.user_id, course_id=owed.course_id, kind=owed.kind, due_date=owed.due_date, step=owed.step
            )
        )
        params = {"course": owed.title, "due": owed.due_date.isoformat()}
        notice = notify(
            owed.user_id,
            notices.OVERDUE if owed.kind == ReminderKind.OVERDUE else notices.DUE_SOON,
            params,
            path_for("learning.course", slug=owed.slug),
        )
        try:
            db.session.commit()
        except IntegrityError:  # another run sent this one a moment ago
            db.session.rollback()
            continue
        sent.notifications += 1
        if owed.email:
            with force_locale("zh_CN"):
                emails.append((owed.email, _subject(), notice.message))
    return deliver(sent, emails)


# --- "remind now" -------------------------------------------------------------------------------


class ReminderRefused(InvalidInput):
    """A "remind now" about a course that is complete, not assigned, or not yet due soon."""


class TooSoon(Conflict):
    """The person was reminded of the course a moment ago."""


def may_remind(actor: User, person: User) -> bool:
    """HR may remind anyone; a manager the people of the departments they follow."""
    return actor.has_role("hr") or managers.manages(actor, person)


def _scope(actor: User) -> Select | None:
    """Whom ``actor`` may remind: None for everyone (HR), else a select of user ids; NotAllowed otherwise."""
    if actor.has_role("hr"):
        return None
    if actor.has_role("manager"):
        return managers.managed_people(actor.id)
    raise NotAllowed(_l("只有人事和经理可以发送学习提醒。"))


def _throttle() -> timedelta:
    return timedelta(minutes=max(int(current_app.config.get("REMINDER_THROTTLE_MINUTES") or 60), 1))


def _recent(now: datetime, people: Select | None, user_id: int | None = None) -> dict[tuple[int, int | None], datetime]:
    """(person, course) → when they were last reminded by hand within the throttle window (one query)."""
    query = select(ReminderLog.user_id, ReminderLog.course_id, func.max(ReminderLog.sent_at)).where(
        ReminderLog.kind == ReminderKind.MANUAL, ReminderLog.sent_at > now - _throttle()
    )
    if user_id is not None:
        query = query.where(ReminderLog.user_id == user_id)
    elif people is not None:
        query = query.where(ReminderLog.user_id.in_(people))
    return {(u, c): at for u, c, at in db.session.execute(query.group_by(ReminderLog.user_id, ReminderLog.course_id))}


def _manual(actor: User, owed: Owed, now: datetime, emails: list[tuple[str, str, str]]) -> None:
    """Add one manual reminder (log row and notice) to the session; queue its e-mail."""
    db.session.add(
        ReminderLog(
            user_id=owed.user_id,
            course_id=owed.course_id,
            kind=ReminderKind.MANUAL,
            due_date=owed.due_date,
            step=int(now.timestamp() // 60),
            by_id=actor.id,
            sent_at=now,
        )
    )
    params = {"by": actor.name, "course": owed.title, "due": owed.due_date.isoformat()}
    notice = notify(owed.user_id, notices.REMINDED, params, path_for("learning.course", slug=owed.slug))
    if owed.email:
        with force_locale("zh_CN"):
            emails.append((owed.email, _subject(), notice.message))


def remind(actor: User, person: User, course: Course, now: datetime | None = None) -> Sent:
    """Remind one person now about one overdue or due-soon course (HR: anyone; a manager: their people).

    Raises NotAllowed (not HR, not the person's manager), ReminderRefused (not assigned, complete, or
    not due soon) or TooSoon (reminded of this course within REMINDER_THROTTLE_MINUTES).
    """
    now = now or utcnow()
    _scope(actor)
    if not may_remind(actor, person):
        raise NotAllowed(_l("你只能提醒自己负责部门的人员。"))
    e = enrolments()
    row = db.session.execute(
        open_enrolments(e, [e.c.due_date]).where(e.c.user_id == person.id, e.c.course_id == course.id)
    ).first()
    win = windows()
    if row is None or not person.active or not win.in_reach(row.due_date, now.date()):
        raise ReminderRefused(
            _l(
                "只能提醒已逾期或即将到期、尚未完成的课程：%(name)s 的「%(course)s」不需要提醒。",
                name=person.name,
                course=course.title,
            )
        )
    last = _recent(now, None, person.id).get((person.id, course.id))
    if last is not None:
        raise TooSoon(_too_soon(person, course, now, last))
    owed = Owed(person.id, person.email, course.id, course.title, course.slug, row.due_date, ReminderKind.MANUAL, 0)
    emails: list[tuple[str, str, str]] = []
    _manual(actor, owed, now, emails)
    audit.record(
        "completion.reminded",
        person,
        {"username": person.username, "course": course.title, "due": owed.due_date.isoformat()},
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same reminder a moment ago, from another request
        db.session.rollback()
        raise TooSoon(_too_soon(person, course, now, now)) from None
    return deliver(Sent(notifications=1), emails)


def _too_soon(person: User, course: Course, now: datetime, last: datetime) -> str:
    minutes = max(int((now - last).total_seconds() // 60), 0)
    wait = max(int((_throttle() - (now - last)).total_seconds() // 60), 1)
    return str(
        _l(
            "%(minutes)d 分钟前已提醒过 %(name)s 完成「%(course)s」，请 %(wait)d 分钟后再提醒。",
            minutes=minutes,
            name=person.name,
            course=course.title,
            wait=wait,
        )
    )


@dataclass
class OverdueFilter:
    """The dashboard's filters that "remind every overdue person" keeps (the status is overdue)."""

    department_id: int | None = None
    cohort_id: int | None = None
    course_id: int | None = None
    due_before: date | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> OverdueFilter:
        """Read the filters as the dashboard does (bad values are ignored)."""
        try:
            due_before = date.fromisoformat(str(args.get("due_before") or ""))
        except ValueError:
            due_before = None
        return cls(
            parse_int(args.get("department")),
            parse_int(args.get("cohort")),
            parse_int(args.get("course")),
            due_before,
            str(args.get("q") or "").strip()[:64],
        )

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments and audit details (empty ones left out)."""
        values = {
            "department": self.department_id,
            "cohort": self.cohort_id,
            "course": self.course_id,
            "due_before": self.due_before.isoformat() if self.due_before else None,
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}


def overdue(filters: OverdueFilter, people: Select | None, today: date) -> list[Owed]:
    """Overdue enrolments matching the filters, among ``people`` (None: everyone), one query."""
    e = enrolments()
    query = open_enrolments(e, [User.id, User.email, Course.id, Course.title, Course.slug, e.c.due_date]).where(
        e.c.due_date < today
    )
    if people is not None:
        query = query.where(User.id.in_(people))
    if filters.department_id:
        query = query.where(User.department_id == filters.department_id)
    if filters.cohort_id:
        members = select(CohortMember.user_id).where(
            CohortMember.cohort_id == filters.cohort_id, CohortMember.role == "trainee"
        )
        query = query.where(User.id.in_(members))
    if filters.course_id:
        query = query.where(e.c.course_id == filters.course_id)
    if filters.due_before:
        query = query.where(e.c.due_date <= filters.due_before)
    if filters.q:
        query = query.where(
            or_(*(c.icontains(filters.q, autoescape=True) for c in (User.name, User.employee_no, User.username)))
        )
    rows = db.session.execute(query.order_by(User.id, Course.position))
    return [
        Owed(user_id, email, course_id, title, slug, due_date, ReminderKind.MANUAL, 0)
        for user_id, email, course_id, title, slug, due_date in rows
    ]


def remind_overdue(actor: User, filters: OverdueFilter, now: datetime | None = None) -> Sent:
    """Remind every overdue person of a filtered dashboard view (a manager: their departments only).

    People reminded of the course within the throttle window are skipped (``Sent.skipped``); one
    audit event records the filters and the counts. Three queries and one commit whatever the number.
    """
    now = now or utcnow()
    people = _scope(actor)
    rows = overdue(filters, people, now.date())
    recent = _recent(now, people)
    emails: list[tuple[str, str, str]] = []
    sent = Sent()
    for owed in rows:
        if (owed.user_id, owed.course_id) in recent:
            sent.skipped += 1
            continue
        _manual(actor, owed, now, emails)
        sent.notifications += 1
    if sent.notifications:
        audit.record(
            "completion.reminded_overdue",
            None,
            {"filters": filters.as_args(), "reminded": sent.notifications, "skipped": sent.skipped},
        )
        try:
            db.session.commit()
        except IntegrityError:  # a reminder of the same minute from another request: try again later
            db.session.rollback()
            raise TooSoon(_l("刚刚已有人发送了同样的提醒，请稍后再试。")) from None
    return deliver(sent, emails)
