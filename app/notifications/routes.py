"""Notification pages: the list, open one (mark read and follow), mark all read."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.forms import EmptyForm
from app.core.pagination import paginate
from app.core.routes import safe_next
from app.extensions import db
from app.notifications import queries, services
from app.notifications.models import Notification

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index():
    """The user's notifications."""
    return render_template(
        "roleplay/notifications.html", page=paginate(queries.for_user(current_user.id)), form=EmptyForm()
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Mark a notification read and follow its link."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.open_notification(notification)
    return redirect(safe_next(notification.url, url_for("notifications.index")))


@bp.post("/notifications/read")
@login_required
def read_all():
    """Mark every notification read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.mark_all_read(current_user)
    flash(_("已全部标为已读。"), "success")
    return redirect(url_for("notifications.index"))
