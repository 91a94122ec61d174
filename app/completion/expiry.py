"""Reminders before a certificate expires, sent by ``flask certificates remind`` (safe to run repeatedly).

For each valid certificate with an expiry date, a reminder (kind ``completion.certificate_expiring``)
is owed once the expiry is at most N days away, for each N of ``CERTIFICATE_EXPIRY_REMINDER_DAYS``
(default 30 and 7). Each (person, course, window, expiry date) is logged in CertificateReminderLog
before anything is sent, so a second run sends nothing again; when a run finds several windows owed at
once (it did not run for a while) it sends one reminder and logs them all. In-app always, e-mail
when SMTP is configured (best effort, as the due-date reminders).
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.completion import notices
from app.completion.enums import CertificateStatus
from app.completion.models import Certificate, CertificateReminderLog
from app.core.urls import path_for
from app.extensions import db
from app.notifications.services import notify, send_email, smtp_settings

KIND = notices.CERTIFICATE_EXPIRING


@dataclass
class Sent:
    """What one run sent."""

    notifications: int = 0
    emails: int = 0
    email_error: str | None = None


def windows() -> tuple[int, ...]:
    """The reminder windows in days before expiry, largest first."""
    days = current_app.config.get("CERTIFICATE_EXPIRY_REMINDER_DAYS", (30, 7))
    return tuple(sorted({int(d) for d in days if int(d) > 0}, reverse=True))


def expiry_reminders(today: date | None = None) -> Sent:
    """Record and send every expiry reminder owed today; each is committed before its e-mail goes out."""
    today = today or date.today()
    sent = Sent()
    spans = windows()
    if not spans:
        return sent
    certs = db.session.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.course_title, Certificate.expires_at, User.email)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.status == CertificateStatus.VALID,
            Certificate.expires_at > today,
            Certificate.expires_at <= today + timedelta(days=spans[0]),
            User.active.is_(True),
        )
        .order_by(Certificate.expires_at, Certificate.id)
    ).all()
    if not certs:
        return sent
    logged = {
        (row.user_id, row.course_id, row.window_days, row.expires_on)
        for row in db.session.scalars(
            select(CertificateReminderLog).where(
                CertificateReminderLog.user_id.in_({c.user_id for c in certs}),
                CertificateReminderLog.expires_on > today,
            )
        )
    }
    emails = []
    for user_id, course_id, title, expires_at, email in certs:
        assert expires_at is not None  # selected by its expiry date
        owed = [
            n
            for n in spans
            if expires_at - today <= timedelta(days=n) and (user_id, course_id, n, expires_at) not in logged
        ]
        if not owed:
            continue
        for n in owed:
            db.session.add(
                CertificateReminderLog(user_id=user_id, course_id=course_id, window_days=n, expires_on=expires_at)
            )
        notice = notify(user_id, KIND, {"course": title, "date": expires_at.isoformat()}, path_for("reports.home"))
        try:
            db.session.commit()
        except IntegrityError:  # another run sent this one a moment ago
            db.session.rollback()
            continue
        sent.notifications += 1
        if email:
            with force_locale("zh_CN"):
                emails.append((email, _("客服学院证书到期提醒"), notice.message))
    settings = smtp_settings()
    if settings:
        try:
            sent.emails = send_email(settings, emails)
        except (OSError, smtplib.SMTPException) as error:  # in-app reminders stand; e-mail is best effort
            sent.email_error = str(error)
    return sent
