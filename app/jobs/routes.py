"""Job pages: a job's progress (polling a small JSON view), its result download, and starting large exports."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from app.accounts.models import User
from app.core import jobs
from app.core.decorators import role_required
from app.core.forms import EmptyForm
from app.core.jobs import Job, JobState
from app.core.pagination import paginate
from app.extensions import db
from app.jobs import tasks
from app.reports import queries, register

bp = Blueprint("jobs", __name__)

POLL_MS = 1500


def _visible_or_404(job_id: int) -> Job:
    """The job, when the signed-in person may see it (its starter, or its audience role); else 404."""
    job = db.session.get(Job, job_id)
    if job is None or not jobs.visible_to(job, current_user):
        abort(404)  # someone else's job: as if it did not exist
    return job


def _status(job: Job) -> dict:
    return {
        "id": job.id,
        "state": job.state,
        "state_label": job.state_label,
        "progress": job.progress,
        "total": job.total,
        "percent": job.percent,
        "finished": job.finished,
        "message": job.message or "",
        "download": url_for("jobs.download", job_id=job.id) if job.state == JobState.DONE and job.result_path else None,
    }


@bp.get("/jobs")
@login_required
def index():
    """The signed-in person's jobs, newest first (and the scheduled ones for their role)."""
    audience = [role for role in ("hr",) if current_user.has_role(role)]
    query = (
        select(Job)
        .where(or_(Job.started_by_id == current_user.id, Job.started_by_id.is_(None) & Job.audience_role.in_(audience)))
        .order_by(Job.created_at.desc(), Job.id.desc())
    )
    return render_template("jobs/index.html", page=paginate(query))


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    """A job's page: a progress bar while it runs, then its outcome and download."""
    job = _visible_or_404(job_id)
    return render_template(
        "jobs/job.html",
        job=job,
        status=_status(job),
        poll_ms=POLL_MS,
        download_form=EmptyForm(),
        hours=current_app.config.get("CREDENTIAL_SHEET_HOURS", 24),
    )


@bp.get("/jobs/<int:job_id>.json")
@login_required
def status(job_id: int):
    """A job's progress as JSON (the job page polls it)."""
    return jsonify(_status(_visible_or_404(job_id)))


@bp.get("/jobs/<int:job_id>/download")
@login_required
def download(job_id: int):
    """The job's result file: only for who may see the job, once it is done."""
    job = _visible_or_404(job_id)
    path = jobs.result_file(job) if job.state == JobState.DONE else None
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=job.result_name or path.name, max_age=0)


EXPORT_FORMATS = ("csv", "xlsx")


@bp.route("/jobs/exports/<fmt>", methods=["GET", "POST"])
@role_required("hr", "manager")
def export(fmt: str):
    """A large completion export: GET says it runs in the background, POST starts it and shows its job page."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    filters = queries.Filters.from_args(request.values)
    args = {key: str(value) for key, value in filters.as_args().items()}
    user = db.session.get(User, current_user.id)
    assert user is not None
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        started = jobs.submit(
            tasks.EXPORT,
            params={"format": fmt, "args": args},
            started_by_id=user.id,
            locale=str(get_locale() or "zh_CN"),
        )
        return redirect(url_for("jobs.job", job_id=started.id), code=303)
    rows = tasks.export_rows(filters, user)
    return render_template("jobs/export.html", fmt=fmt, args=args, rows=rows, form=form, title=_("导出完成情况"))


@bp.post("/jobs/certificates")
@role_required(*register.REGISTER_ROLES)
def certificates():
    """Start a ZIP of the certificate register's filtered PDFs as a job (any number; the direct ZIP has a cap)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    filters = register.Filters.from_args(request.values)
    started = jobs.submit(
        tasks.CERTIFICATES,
        params={"args": {key: str(value) for key, value in filters.as_args().items()}},
        started_by_id=current_user.id,
        locale=str(get_locale() or "zh_CN"),
    )
    return redirect(url_for("jobs.job", job_id=started.id), code=303)
