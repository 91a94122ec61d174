"""Waiving checklist items and revoking waivers (HR), and the trainee's checklist on the course page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import User
from app.completion import services
from app.completion.forms import RevokeWaiverForm, WaiverForm
from app.completion.models import Certificate, Waiver
from app.completion.rules import Checklist, evaluate
from app.core.decorators import role_required
from app.core.forms import flash_errors, keep_errors
from app.extensions import db
from app.learning.models import Course

bp = Blueprint("completion", __name__)


@bp.post("/reports/trainees/<int:user_id>/courses/<int:course_id>/waive")
@role_required("hr")
def waive(user_id: int, course_id: int):
    """Waive one item of a trainee's course with a reason; the waiver is recorded and shown."""
    user = db.get_or_404(User, user_id)
    course = db.get_or_404(Course, course_id)
    form = WaiverForm()
    target = f"reason-{course.id}-{form.kind.data}-{form.slug.data}"  # the reason box of this item on the transcript
    if form.validate_on_submit():
        try:
            services.waive(user, course, form.kind.data, form.slug.data, form.reason.data, current_user)
        except services.CompletionError as error:
            keep_errors([(target, str(form.reason.label.text), str(error))], {target: form.reason.data})
        else:
            flash(_("已豁免，课程完成情况已更新。"), "success")
    else:
        flash_errors(form, {"reason": target})
    return redirect(url_for("reports.transcript", user_id=user.id, _anchor=f"course-{course.id}"))


@bp.post("/reports/trainees/<int:user_id>/courses/<int:course_id>/waivers/<int:waiver_id>/revoke")
@role_required("hr")
def revoke_waiver(user_id: int, course_id: int, waiver_id: int):
    """Revoke one waiver of a trainee's course; the course is recomputed and the revocation audited."""
    waiver = db.session.get(Waiver, waiver_id)
    if waiver is None or waiver.user_id != user_id or waiver.course_id != course_id:
        abort(404)
    form = RevokeWaiverForm()
    target = f"revoke-{course_id}-{waiver.kind}-{waiver.slug}"  # the reason box of this waiver on the transcript
    if form.validate_on_submit():
        try:
            services.revoke_waiver(waiver, current_user, form.reason.data)
        except services.CompletionError as error:
            keep_errors([(target, str(form.reason.label.text), str(error))], {target: form.reason.data})
        else:
            flash(_("已撤销豁免，课程完成情况已更新。"), "success")
    else:
        flash_errors(form, {"reason": target})
    return redirect(url_for("reports.transcript", user_id=user_id, _anchor=f"course-{course_id}"))


@dataclass
class CoursePanel:
    """The signed-in trainee's checklist for one course and their certificate, if earned."""

    checklist: Checklist
    certificate: Certificate | None


@bp.app_template_global()
def completion_panel(course: Course) -> CoursePanel | None:
    """What the signed-in trainee has done and still lacks in a course (None for other roles)."""
    if not current_user.is_authenticated or not current_user.has_role("trainee"):
        return None
    checklist = evaluate(current_user.id, [course])[course.id]
    certificate = db.session.scalar(  # the latest one: valid, or revoked / expired
        select(Certificate)
        .where(Certificate.user_id == current_user.id, Certificate.course_id == course.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )
    return CoursePanel(checklist, certificate)


@bp.app_template_global()
def cert_today() -> date:
    """The day certificate states are shown for."""
    return date.today()
