"""Due-soon and overdue reminders, sent by ``flask reminders send`` (safe to run repeatedly).

A reminder is one (person, course, kind, due date): *due_soon* once the due date is at most
``DUE_SOON_DAYS`` days away, *overdue* once it has passed, and only while the course is not complete.
Each is recorded in ReminderLog before anything is sent, so a second run sends nothing again and a
changed due date earns new reminders. E-mail is best effort: when the SMTP server fails, the in-app
reminders stand and the failure is reported (those e-mails are not retried).
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Row, and_, case, func, literal, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, UserRole
from app.completion import notices
from app.completion.enums import CompletionStatus, ReminderKind
from app.completion.models import CourseCompletion, ReminderLog
from app.core.urls import path_for
from app.extensions import db
from app.learning.enrolments import enrolments
from app.learning.models import Course
from app.notifications.services import notify, send_email, smtp_settings

DUE_SOON_DAYS = 3


@dataclass
class Sent:
    """What one run sent."""

    notifications: int = 0
    emails: int = 0
    email_error: str | None = None


def due(today: date) -> Sequence[Row]:
    """Reminders owed and not yet sent: (user_id, email, course_id, title, slug, due_date, kind) — one query."""
    e = enrolments()
    kind = case((e.c.due_date < today, literal(ReminderKind.OVERDUE.value)), else_=literal(ReminderKind.DUE_SOON.value))
    return db.session.execute(
        select(User.id, User.email, Course.id, Course.title, Course.slug, e.c.due_date, kind)
        .select_from(e)
        .join(User, User.id == e.c.user_id)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "trainee"))
        .join(Course, Course.id == e.c.course_id)
        .outerjoin(
            CourseCompletion,
            and_(CourseCompletion.user_id == e.c.user_id, CourseCompletion.course_id == e.c.course_id),
        )
        .outerjoin(
            ReminderLog,
            and_(
                ReminderLog.user_id == e.c.user_id,
                ReminderLog.course_id == e.c.course_id,
                ReminderLog.kind == kind,
                ReminderLog.due_date == e.c.due_date,
            ),
        )
        .where(
            User.active.is_(True),
            Course.archived.is_(False),
            e.c.due_date <= today + timedelta(days=DUE_SOON_DAYS),
            func.coalesce(CourseCompletion.status, CompletionStatus.NOT_STARTED.value) != CompletionStatus.COMPLETE,
            ReminderLog.id.is_(None),
        )
        .order_by(User.id, Course.position)
    ).all()


def send(today: date | None = None) -> Sent:
    """Record and send every reminder owed today; each is committed before its e-mail goes out."""
    today = today or date.today()
    sent = Sent()
    emails = []
    for user_id, email, course_id, title, slug, due_date, kind in due(today):
        db.session.add(ReminderLog(user_id=user_id, course_id=course_id, kind=kind, due_date=due_date))
        params = {"course": title, "due": due_date.isoformat()}
        notice = notify(
            user_id,
            notices.OVERDUE if kind == ReminderKind.OVERDUE else notices.DUE_SOON,
            params,
            path_for("learning.course", slug=slug),
        )
        try:
            db.session.commit()
        except IntegrityError:  # another run sent this one a moment ago
            db.session.rollback()
            continue
        sent.notifications += 1
        if email:
            with force_locale("zh_CN"):
                emails.append((email, _("客服学院学习提醒"), notice.message))
    settings = smtp_settings()
    if settings:
        try:
            sent.emails = send_email(settings, emails)
        except (OSError, smtplib.SMTPException) as error:  # in-app reminders stand; e-mail is best effort
            sent.email_error = str(error)
    return sent
