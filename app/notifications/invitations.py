"""E-mail for invitation links: accounts sends ``invitations_issued``, this sends the links when SMTP is set."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from app.core.signals import invitations_issued
from app.notifications.services import send_email, smtp_settings

log = logging.getLogger(__name__)


def email_invitations(sender: Any, invitations: list[dict[str, Any]], **_: Any) -> list[int]:
    """Send each invitation with an address its link; return the ids of the people e-mailed ([] without SMTP)."""
    settings = smtp_settings()
    wanted = [item for item in invitations if item.get("email")]
    if settings is None or not wanted:
        return []
    subject = str(_l("客服学院：设置你的密码"))
    messages = [
        (
            item["email"],
            subject,
            str(
                _l(
                    "%(name)s，你好：\n\n请打开下面的链接，设置你在客服学院的密码（链接只能使用一次，"
                    "%(expires)s 前有效）：\n\n%(url)s\n\n如果你没有预期收到这封邮件，请忽略它。",
                    name=item["name"],
                    expires=format_datetime(item["expires_at"], "short"),
                    url=item["url"],
                )
            ),
        )
        for item in wanted
    ]
    try:
        send_email(settings, messages)
    except (OSError, smtplib.SMTPException):
        log.exception("invitation e-mail failed", extra={"count": len(messages)})
        return []
    return [item["user_id"] for item in wanted]


def connect() -> None:
    """Listen to ``invitations_issued`` (the factory calls this once)."""
    invitations_issued.connect(email_invitations)
