"""HR's certificate and whole-course waiver actions on the transcript (POST, CSRF, audited), and evidence downloads.

The rules (who may, which reasons, which files) live in :mod:`app.completion.services`; these routes
load (404 unless the object belongs to the person in the URL), check the role, call and report.
"""

from __future__ import annotations

from flask import abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.completion import evidence, services
from app.completion.forms import CourseWaiverForm, RevokeCertificateForm, RevokeCourseWaiverForm
from app.completion.models import Certificate, CourseWaiver
from app.completion.routes import bp
from app.core.decorators import role_required
from app.core.domain import DomainError, NotAllowed
from app.core.forms import flash_errors, keep_errors
from app.extensions import db
from app.learning.models import Course


def _back(user_id: int, course_id: int):
    return redirect(url_for("reports.transcript", user_id=user_id, _anchor=f"course-{course_id}"))


@bp.post("/reports/trainees/<int:user_id>/certificates/<int:certificate_id>/revoke")
@role_required(*services.REVOKE_ROLES)
def revoke_certificate(user_id: int, certificate_id: int):
    """Revoke one of a person's certificates by hand, with a reason (HR and admins)."""
    cert = db.session.get(Certificate, certificate_id)
    if cert is None or cert.user_id != user_id:
        abort(404)
    form = RevokeCertificateForm()
    target = f"cert-reason-{cert.id}"
    if form.validate_on_submit():
        try:
            services.revoke_certificate(cert, current_user._get_current_object(), form.reason.data)
        except NotAllowed:
            abort(403)
        except DomainError as error:
            keep_errors([(target, str(form.reason.label.text), str(error))], {target: form.reason.data or ""})
        else:
            flash(_("证书已撤销。"), "success")
    else:
        flash_errors(form, {"reason": target})
    return _back(user_id, cert.course_id)


@bp.post("/reports/trainees/<int:user_id>/courses/<int:course_id>/course-waiver")
@role_required("hr")
def waive_course(user_id: int, course_id: int):
    """Waive a whole course for a person (免修) with a reason and an optional evidence file."""
    user = db.get_or_404(User, user_id)
    course = db.get_or_404(Course, course_id)
    form = CourseWaiverForm()
    target = f"course-waiver-reason-{course.id}"
    if form.validate_on_submit():
        upload = form.evidence.data
        has_file = bool(upload is not None and getattr(upload, "filename", None))
        try:
            services.waive_course(
                user,
                course,
                form.reason.data,
                current_user._get_current_object(),
                upload.stream if has_file else None,
                upload.filename if has_file else "",
            )
        except NotAllowed:
            abort(403)
        except DomainError as error:
            keep_errors([(target, str(form.reason.label.text), str(error))], {target: form.reason.data or ""})
        else:
            flash(_("已免修整门课程，课程完成情况已更新。"), "success")
    else:
        flash_errors(form, {"reason": target})
    return _back(user.id, course.id)


def _course_waiver(user_id: int, course_id: int, waiver_id: int) -> CourseWaiver:
    waiver = db.session.get(CourseWaiver, waiver_id)
    if waiver is None or waiver.user_id != user_id or waiver.course_id != course_id:
        abort(404)
    return waiver


@bp.post("/reports/trainees/<int:user_id>/courses/<int:course_id>/course-waiver/<int:waiver_id>/revoke")
@role_required("hr")
def revoke_course_waiver(user_id: int, course_id: int, waiver_id: int):
    """Revoke a whole-course waiver: its 免修 certificate is revoked and the course recomputed."""
    waiver = _course_waiver(user_id, course_id, waiver_id)
    form = RevokeCourseWaiverForm()
    target = f"course-waiver-revoke-{course_id}"
    if form.validate_on_submit():
        try:
            services.revoke_course_waiver(waiver, current_user._get_current_object(), form.reason.data)
        except NotAllowed:
            abort(403)
        except DomainError as error:
            keep_errors([(target, str(form.reason.label.text), str(error))], {target: form.reason.data or ""})
        else:
            flash(_("已撤销免修，课程完成情况已更新。"), "success")
    else:
        flash_errors(form, {"reason": target})
    return _back(user_id, course_id)


@bp.get("/reports/trainees/<int:user_id>/courses/<int:course_id>/course-waiver/<int:waiver_id>/evidence")
@role_required("hr")
def course_waiver_evidence(user_id: int, course_id: int, waiver_id: int):
    """Download a whole-course waiver's evidence file (HR only)."""
    waiver = _course_waiver(user_id, course_id, waiver_id)
    if not waiver.evidence_name or not waiver.evidence_mime:
        abort(404)
    path = evidence.evidence_path(waiver.evidence_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=waiver.evidence_mime,
        as_attachment=True,
        download_name=waiver.evidence_filename or f"evidence.{waiver.evidence_name.rsplit('.', 1)[1]}",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
