"""Report pages: the HR dashboard (instructors: their cohorts only), exports, transcripts, certificates."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
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

from app.accounts.models import Cohort, CohortMember, Department, User
from app.completion.codes import normalise_code
from app.completion.models import Certificate
from app.core.decorators import role_required
from app.core.pagination import page_arg
from app.core.time import utcnow
from app.extensions import db
from app.reports import exports, queries
from app.reports.certificates import certificate_pdf

bp = Blueprint("reports", __name__)

STATUS_LABELS = {
    queries.ReportStatus.NOT_STARTED: _l("未开始"),
    queries.ReportStatus.IN_PROGRESS: _l("进行中"),
    queries.ReportStatus.COMPLETE: _l("已完成"),
    queries.ReportStatus.OVERDUE: _l("已逾期"),
}


def _scope() -> Select | None:
    """HR sees everyone; an instructor only the trainees of the cohorts they teach."""
    return None if current_user.has_role("hr") else queries.taught_trainees(current_user.id)


def _cohorts() -> list[Row]:
    query = select(Cohort.id, Cohort.name).order_by(Cohort.name)  # (id, name) rows: hundreds at a large company
    if not current_user.has_role("hr"):
        query = query.join(CohortMember, CohortMember.cohort_id == Cohort.id).where(
            CohortMember.user_id == current_user.id, CohortMember.role == "instructor"
        )
    return list(db.session.execute(query))


def _filters(cohorts: list[Row]) -> queries.Filters:
    filters = queries.Filters.from_args(request.args)
    if filters.cohort_id and not current_user.has_role("hr") and filters.cohort_id not in {c.id for c in cohorts}:
        abort(403)
    return filters


@bp.get("/reports")
@role_required("hr", "instructor")
def dashboard():
    """Completion by department and course, overdue list, filters, search and the paginated enrolments."""
    cohorts = _cohorts()
    filters = _filters(cohorts)
    scope = _scope()
    summary = queries.summary(filters, scope)
    by_department, by_course = summary.by_department, summary.by_course
    page = queries.page(filters, scope, page_arg(), current_app.config["PER_PAGE"], summary.total)
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
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
    )


@bp.get("/reports/export.csv")
@role_required("hr")
def export_csv():
    """The filtered report as CSV (UTF-8 with BOM), streamed row batch by row batch."""
    filters = queries.Filters.from_args(request.args)
    catalogue = queries.catalogue()
    rows = queries.iter_rows(filters)
    response = Response(stream_with_context(exports.csv_chunks(rows, catalogue)), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = _attachment("csv")
    return response


@bp.get("/reports/export.xlsx")
@role_required("hr")
def export_xlsx():
    """The filtered report as XLSX (written to a temporary file in write-only mode, then sent)."""
    filters = queries.Filters.from_args(request.args)
    handle = exports.xlsx_file(queries.iter_rows(filters), queries.catalogue())
    return send_file(
        handle,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"completion-{utcnow():%Y%m%d}.xlsx",
    )


def _attachment(extension: str) -> str:
    return f'attachment; filename="completion-{utcnow():%Y%m%d}.{extension}"'


def _can_see(user: User) -> bool:
    """HR sees everyone, a trainee themself, an instructor the trainees of cohorts they teach."""
    if current_user.has_role("hr") or current_user.id == user.id:
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
        today=queries.today(),
    )


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate(certificate_id: int):
    """The certificate as a one-page PDF (its owner and HR only)."""
    cert = db.session.get(Certificate, certificate_id)
    if cert is None or not (cert.user_id == current_user.id or current_user.has_role("hr")):
        abort(404)
    verify_url = url_for("reports.verify", code=cert.code, _external=True)
    response = Response(certificate_pdf(cert, verify_url), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{cert.code}.pdf"'
    return response


@bp.get("/verify")
@bp.get("/verify/<code>")
def verify(code: str | None = None):
    """Public check of a certificate code: shows only name, course and date."""
    code = normalise_code(code or request.args.get("code", ""))
    cert = None
    if code:
        cert = db.session.scalar(select(Certificate).where(Certificate.code == code))
    status = 404 if code and cert is None else 200
    return render_template("reports/verify.html", code=code, cert=cert), status
