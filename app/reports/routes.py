"""Report pages: the HR dashboard (instructors: their cohorts only), exports, transcripts, certificates."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import Row, Select, func, select

from app.accounts import managers
from app.accounts.models import Cohort, CohortMember, Department, User
from app.completion.codes import normalise_code
from app.completion.models import Certificate
from app.completion.windows import Windows
from app.core.decorators import role_required
from app.core.pagination import page_arg
from app.core.time import utcnow
from app.extensions import db
from app.reports import exports, queries
from app.reports.certificates import certificate_pdf
from app.reports.transcript_pdf import transcript_pdf as render_transcript_pdf

bp = Blueprint("reports", __name__)

STATUS_LABELS = {
    queries.ReportStatus.NOT_STARTED: _l("未开始"),
    queries.ReportStatus.IN_PROGRESS: _l("进行中"),
    queries.ReportStatus.COMPLETE: _l("已完成"),
    queries.ReportStatus.OVERDUE: _l("已逾期"),
}


def _scope() -> Select | None:
    """HR sees everyone; an instructor the trainees of the cohorts they teach; a manager their departments' people."""
    return queries.people_scope(current_user)


def _export_scope() -> Select | None:
    """Whose rows an export holds: everyone for HR, the people of their departments for a manager."""
    return None if current_user.has_role("hr") else queries.managed_people(current_user.id)


def _departments() -> list[Department]:
    """The department filter's choices: all of them, or a manager's own (unless HR or an instructor)."""
    if current_user.has_role("hr", "instructor"):
        return list(db.session.scalars(select(Department).order_by(Department.name)))
    return managers.departments(current_user.id)


def _cohorts() -> list[Row]:
    query = select(Cohort.id, Cohort.name).order_by(Cohort.name)  # (id, name) rows: hundreds at a large company
    if not current_user.has_role("hr"):
        query = query.join(CohortMember, CohortMember.cohort_id == Cohort.id).where(
            CohortMember.user_id == current_user.id, CohortMember.role == "instructor"
        )
    return list(db.session.execute(query))


def _filters(cohorts: list[Row], departments: list[Department]) -> queries.Filters:
    filters = queries.Filters.from_args(request.args)
    if filters.cohort_id and not current_user.has_role("hr") and filters.cohort_id not in {c.id for c in cohorts}:
        abort(403)
    if (
        filters.department_id
        and not current_user.has_role("hr", "instructor")
        and filters.department_id not in {d.id for d in departments}
    ):
        abort(403)  # a manager filtering a department they do not follow
    return filters


@bp.get("/reports")
@role_required("hr", "instructor", "manager")
def dashboard():
    """Completion by department and course, overdue list, filters, search and the paginated enrolments."""
    cohorts = _cohorts()
    departments = _departments()
    filters = _filters(cohorts, departments)
    scope = _scope()
    summary = queries.summary(filters, scope)
    by_department, by_course = summary.by_department, summary.by_course
    page = queries.page(filters, scope, page_arg(), current_app.config["PER_PAGE"], summary.total)
    catalogue = queries.catalogue()
    overdue, overdue_count = queries.overdue(filters, scope), summary.overdue
    chart_data = {
        "department": {
            "labels": [r.label or _("（无部门）") for r in by_department],
            "values": [r.percent for r in by_department],
        },
        "course": {"labels": [r.label for r in by_course], "values": [r.percent for r in by_course]},
        "label": _("完成率（%）"),
    }
    return render_template(
        "reports/dashboard.html",
        page=page,
        filters=filters,
        args=filters.as_args(),
        catalogue=catalogue,
        departments=departments,
        cohorts=cohorts,
        courses=catalogue.courses,
        by_department=by_department,
        by_course=by_course,
        overdue=overdue,
        overdue_count=overdue_count,
        chart_data=chart_data,
        status_labels=STATUS_LABELS,
        is_hr=current_user.has_role("hr"),
        can_export=current_user.has_role("hr", "manager"),
        can_remind=current_user.has_role("hr", "manager"),
        managed=managers.departments(current_user.id) if current_user.has_role("manager") else [],
        windows=Windows.from_config(current_app.config),
        today=queries.today(),
    )


@bp.get("/reports/export.csv")
@role_required("hr", "manager")
def export_csv():
    """The filtered report as CSV (UTF-8 with BOM), streamed row batch by row batch."""
    filters = queries.Filters.from_args(request.args)
    if _large(filters):
        return redirect(url_for("jobs.export", fmt="csv", **filters.as_args()))
    catalogue = queries.catalogue()
    rows = queries.iter_rows(filters, _export_scope())
    response = Response(stream_with_context(exports.csv_chunks(rows, catalogue)), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = _attachment("csv")
    return response


@bp.get("/reports/export.xlsx")
@role_required("hr", "manager")
def export_xlsx():
    """The filtered report as XLSX (written to a temporary file in write-only mode, then sent)."""
    filters = queries.Filters.from_args(request.args)
    if _large(filters):
        return redirect(url_for("jobs.export", fmt="xlsx", **filters.as_args()))
    handle = exports.xlsx_file(queries.iter_rows(filters, _export_scope()), queries.catalogue())
    return send_file(
        handle,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"completion-{utcnow():%Y%m%d}.xlsx",
    )


def _large(filters: queries.Filters) -> bool:
    """Whether the export holds more than EXPORT_JOB_THRESHOLD rows: it is then made by a background job (app/jobs)."""
    rows = queries.rows_query(filters, _export_scope()).order_by(None).subquery()
    count = int(db.session.scalar(select(func.count()).select_from(rows)) or 0)
    return count > current_app.config["EXPORT_JOB_THRESHOLD"]


def _attachment(extension: str) -> str:
    return f'attachment; filename="completion-{utcnow():%Y%m%d}.{extension}"'


def _can_see(user: User) -> bool:
    """HR sees everyone, a trainee themself, a manager their departments' people, an instructor their cohorts'."""
    if current_user.has_role("hr") or current_user.id == user.id:
        return True
    if managers.manages(current_user, user):
        return True
    if not current_user.has_role("instructor"):
        return False
    taught = queries.taught_trainees(current_user.id).where(CohortMember.user_id == user.id)
    return bool(db.session.scalar(select(func.count()).select_from(taught.subquery())))


@bp.get("/reports/trainees/<int:user_id>")
@login_required
def transcript(user_id: int):
    """A trainee's transcript: courses with status and dates, quiz attempts, role-play grades, waivers."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not _can_see(user):
        abort(403)
    return render_template(
        "reports/transcript.html",
        record=queries.transcript(user),
        status_labels=STATUS_LABELS,
        can_waive=current_user.has_role("hr"),
        can_remind=current_user.has_role("hr") or managers.manages(current_user, user),
        windows=Windows.from_config(current_app.config),
        today=queries.today(),
    )


@bp.get("/reports/trainees/<int:user_id>/transcript.pdf")
@login_required
def transcript_pdf(user_id: int):
    """The transcript as a printable A4 PDF (whoever may see the HTML transcript)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not _can_see(user):
        abort(403)
    pdf = render_transcript_pdf(queries.transcript(user), queries.today())
    response = Response(pdf, mimetype="application/pdf")
    name = f"{_('成绩单')}-{user.name}-{utcnow():%Y%m%d}.pdf"
    fallback = f"transcript-{user.id}-{utcnow():%Y%m%d}.pdf"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    return response


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate(certificate_id: int):
    """The certificate as a one-page PDF (its owner, HR and admins only)."""
    cert = db.session.get(Certificate, certificate_id)
    if cert is None or not (cert.user_id == current_user.id or current_user.has_role("hr", "admin")):
        abort(404)
    verify_url = url_for("reports.verify", code=cert.code, _external=True)
    response = Response(certificate_pdf(cert, verify_url), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{cert.code}.pdf"'
    return response


@bp.get("/verify")
@bp.get("/verify/<code>")
def verify(code: str | None = None):
    """Public check of a certificate code: its state (valid, revoked since, expired) with only name, course and dates."""
    code = normalise_code(code or request.args.get("code", ""))
    cert = None
    if code:
        cert = db.session.scalar(select(Certificate).where(Certificate.code == code))
    status = 404 if code and cert is None else 200
    state = cert.state(date.today()) if cert is not None else None
    return render_template("reports/verify.html", code=code, cert=cert, state=state), status
