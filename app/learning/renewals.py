"""Renewals: when a certificate of a renewable course expires, learning assigns the course to the person again.

Completion sends ``certificate_expired`` after it marked the certificate expired and started a new
completion cycle; this listener (learning writes its own tables) assigns the course to the person with
a due date ``RENEWAL_DUE_DAYS`` days away, clears their reading progress of the course (the modules are
to be read again), and tells them with a ``learning.renewal`` notice.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.accounts.models import User
from app.core.signals import certificate_expired
from app.core.urls import path_for
from app.extensions import db
from app.learning.models import Course, Module, ModuleProgress
from app.learning.services import assign_course
from app.notifications.services import notify, register_kinds

log = logging.getLogger(__name__)

RENEWAL = "learning.renewal"

register_kinds({RENEWAL: _l("你的课程「%(course)s」结业证书已到期，请在 %(due)s 前重新完成该课程。")})


def on_certificate_expired(sender: Any, *, user_id: int, course_id: int, expired_on: date, **_: Any) -> None:
    """Assign the course again with a due date, reset its reading progress and tell the person."""
    user = db.session.get(User, user_id)
    course = db.session.get(Course, course_id)
    if user is None or course is None or course.archived or not user.active:
        return
    due = date.today() + timedelta(days=int(current_app.config.get("RENEWAL_DUE_DAYS", 30)))
    module_ids = select(Module.id).where(Module.course_id == course.id)
    db.session.execute(
        delete(ModuleProgress)
        .where(ModuleProgress.user_id == user.id, ModuleProgress.module_id.in_(module_ids))
        .execution_options(synchronize_session=False)
    )
    notify(
        user.id,
        RENEWAL,
        {"course": course.title, "due": due.isoformat()},
        path_for("learning.course", slug=course.slug),
    )
    assign_course(course, user=user, due_date=due)  # commits, with the progress reset and the notice
    log.info("course renewed", extra={"user_id": user_id, "course_id": course_id, "expired_on": str(expired_on)})


def connect() -> None:
    """Connect the listener (idempotent)."""
    certificate_expired.connect(on_certificate_expired)
