"""Completion's notification kinds (added to the shared in-app registry) and e-mail when SMTP is set."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.roleplay.models import NOTIFICATION_MESSAGES, Notification

DUE_SOON = "completion.due_soon"
OVERDUE = "completion.overdue"
COMPLETED = "completion.completed"

NOTIFICATION_MESSAGES.update(
    {
        DUE_SOON: _l("课程「%(course)s」将于 %(due)s 截止，请尽快完成。"),
        OVERDUE: _l("课程「%(course)s」已于 %(due)s 截止，你还没有完成，请尽快补上。"),
        COMPLETED: _l("恭喜！你已完成课程「%(course)s」，结业证书已生成。"),
    }
)


def path_for(endpoint: str, **values: str) -> str:
    """A site-relative URL, also outside a request (CLI)."""
    return current_app.url_map.bind("").build(endpoint, values)


def notify(user_id: int, kind: str, params: dict[str, str], url: str) -> Notification:
    """Queue an in-app notification in the current transaction (the caller commits)."""
    notification = Notification(user_id=user_id, kind=kind, params=params, url=url)
    db.session.add(notification)
    return notification


def smtp_settings() -> dict[str, str] | None:
    """SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM from the config or environment; None if unset."""
    names = ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM")
    values = {name: str(current_app.config.get(name) or os.environ.get(name) or "") for name in names}
    return values if values["SMTP_HOST"] else None


def send_email(settings: dict[str, str], messages: list[tuple[str, str, str]]) -> int:
    """Send (address, subject, body) messages over one SMTP connection (STARTTLS when offered)."""
    if not messages:
        return 0
    with smtplib.SMTP(settings["SMTP_HOST"], int(settings["SMTP_PORT"] or 25), timeout=30) as smtp:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        if settings["SMTP_USER"]:
            smtp.login(settings["SMTP_USER"], settings["SMTP_PASSWORD"])
        for address, subject, body in messages:
            message = EmailMessage()
            message["From"] = settings["SMTP_FROM"] or settings["SMTP_USER"] or "academy@localhost"
            message["To"] = address
            message["Subject"] = subject
            message.set_content(body)
            smtp.send_message(message)
    return len(messages)
