"""Writes for notifications: register kinds, notify, mark read; e-mail when SMTP is set."""

from __future__ import annotations

import logging
import os
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import update

from app.accounts.models import User
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import MESSAGES, Notification

log = logging.getLogger(__name__)


class UnknownKind(KeyError):  # noqa: N818 (a programming error, named for what it is)
    """A notification kind nobody registered."""


def register_kinds(messages: dict[str, Any]) -> None:
    """Register a room's message kinds (kind -> lazily translated text with %(name)s placeholders)."""
    for kind, text in messages.items():
        if kind in MESSAGES and MESSAGES[kind] is not text:
            raise ValueError(f"notification kind {kind!r} is already registered")
        MESSAGES[kind] = text


def notify(user_id: int, kind: str, params: dict[str, Any], url: str) -> Notification:
    """Queue an in-app notification in the current transaction (the caller commits)."""
    if kind not in MESSAGES:
        raise UnknownKind(kind)
    notification = Notification(user_id=user_id, kind=kind, params=params, url=url)
    db.session.add(notification)
    return notification


def open_notification(notification: Notification) -> None:
    """Mark a notification as read."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
        log.info("notification read", extra={"notification_id": notification.id})


def mark_all_read(user: User) -> int:
    """Mark all the user's notifications as read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    count = result.rowcount or 0  # type: ignore[attr-defined]
    log.info("notifications marked read", extra={"user_id": user.id, "count": count})
    return count


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
    log.info("e-mail sent", extra={"count": len(messages)})
    return len(messages)
