""" "Remind now" (POST, HR and managers): one person about one course, or every overdue person of a view.

The rules (who may remind whom, which courses, how often) live in :mod:`app.completion.reminders`;
these routes load, call and report. A manager reminding someone outside their departments gets 403,
as on the transcript.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.completion import reminders
from app.completion.enums import ReminderKind
from app.completion.routes import bp
from app.core.decorators import role_required
from app.core.domain import DomainError, NotAllowed
from app.core.forms import EmptyForm, flash_errors
from app.core.routes import safe_next
from app.extensions import db
from app.learning.models import Course


def _email_note(sent: reminders.Sent) -> None:
    if sent.email_error:
        flash(_("站内提醒已发送，但邮件发送失败：%(error)s", error=sent.email_error), "warning")


@bp.post("/reports/trainees/<int:user_id>/courses/<int:course_id>/remind")
@role_required("hr", "manager")
def remind(user_id: int, course_id: int):
    """Remind one person now about one overdue or due-soon course (throttled, audited)."""
    person = db.get_or_404(User, user_id)
    course = db.get_or_404(Course, course_id)
    if not reminders.may_remind(current_user, person):
        abort(403)
    fallback = url_for("reports.transcript", user_id=person.id, _anchor=f"course-{course.id}")
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(fallback)
    try:
        sent = reminders.remind(current_user._get_current_object(), person, course)
    except NotAllowed:
        abort(403)
    except DomainError as error:
        flash(str(error), "danger")
    else:
        flash(_("已提醒 %(name)s 完成「%(course)s」。", name=person.name, course=course.title), "success")
        _email_note(sent)
    return redirect(safe_next(request.form.get("next"), fallback))


@bp.post("/reports/remind-overdue")
@role_required("hr", "manager")
def remind_overdue():
    """Remind every overdue person of the filtered dashboard view (a manager: their departments only)."""
    filters = reminders.OverdueFilter.from_args(request.form)
    back = url_for("reports.dashboard", **filters.as_args(), status=ReminderKind.OVERDUE)  # the overdue list
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(back)
    try:
        sent = reminders.remind_overdue(current_user._get_current_object(), filters)
    except NotAllowed:
        abort(403)
    except DomainError as error:
        flash(str(error), "danger")
    else:
        if sent.notifications:
            flash(_("已提醒 %(n)d 项逾期课程。", n=sent.notifications), "success")
        if sent.skipped:
            flash(_("%(n)d 项刚提醒过不久，这次没有重复提醒。", n=sent.skipped), "info")
        if not sent.notifications and not sent.skipped:
            flash(_("没有需要提醒的逾期课程。"), "info")
        _email_note(sent)
    return redirect(back)
