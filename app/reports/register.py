"""The certificate register (HR and admins): filters, pages, CSV/XLSX exports and one ZIP of PDFs; and a person's own certificates.

Read-only, like every report: a filtered select over certificates, people and departments, in a fixed
number of statements whatever the number of rows. A certificate's state on a day comes from
``Certificate.state`` (valid, revoked, or expired — also once past its expiry before the daily job ran),
and the SQL filter states the same rule.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, send_file, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from openpyxl import Workbook
from sqlalchemy import Select, and_, or_, select

from app.accounts.models import Department, User
from app.completion.enums import CertificateStatus
from app.completion.models import Certificate
from app.core.decorators import role_required
from app.core.pagination import page_arg, paginate_rows, parse_int
from app.core.time import utcnow
from app.extensions import db
from app.learning.models import Course
from app.reports.certificates import certificates_archive, study_hours

bp = Blueprint("certificate_register", __name__)

REGISTER_ROLES = ("hr", "admin")
STATE_LABELS = {
    CertificateStatus.VALID: _l("有效"),
    CertificateStatus.REVOKED: _l("已撤销"),
    CertificateStatus.EXPIRED: _l("已过期"),
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500


def today() -> date:
    """The day certificate states are judged on."""
    return date.today()


@dataclass(frozen=True)
class Filters:
    """The register's filters (bad values are ignored)."""

    course_id: int | None = None
    department_id: int | None = None
    status: CertificateStatus | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """Read filters from query-string arguments."""

        def day(key: str) -> date | None:
            try:
                return date.fromisoformat(str(args.get(key) or ""))
            except ValueError:
                return None

        status = args.get("status")
        return cls(
            course_id=parse_int(args.get("course")),
            department_id=parse_int(args.get("department")),
            status=CertificateStatus(status) if status in set(CertificateStatus) else None,
            issued_from=day("issued_from"),
            issued_to=day("issued_to"),
            q=str(args.get("q") or "").strip()[:64],
        )

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (empty ones left out)."""
        values = {
            "course": self.course_id,
            "department": self.department_id,
            "status": self.status,
            "issued_from": self.issued_from.isoformat() if self.issued_from else None,
            "issued_to": self.issued_to.isoformat() if self.issued_to else None,
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}


def state_clause(status: CertificateStatus, day: date) -> Any:
    """The SQL form of ``Certificate.state(day) == status``."""
    past = and_(Certificate.expires_at.is_not(None), Certificate.expires_at <= day)
    if status == CertificateStatus.VALID:
        return and_(Certificate.status == CertificateStatus.VALID, or_(Certificate.expires_at.is_(None), ~past))
    if status == CertificateStatus.EXPIRED:
        return or_(
            Certificate.status == CertificateStatus.EXPIRED, and_(Certificate.status == CertificateStatus.VALID, past)
        )
    return Certificate.status == CertificateStatus.REVOKED


def register_query(filters: Filters, day: date) -> Select:
    """(Certificate, department name) rows matching the filters, newest first (one statement)."""
    query = (
        select(Certificate, Department.name)
        .join(User, User.id == Certificate.user_id)
        .outerjoin(Department, Department.id == User.department_id)
    )
    if filters.course_id:
        query = query.where(Certificate.course_id == filters.course_id)
    if filters.department_id:
        query = query.where(User.department_id == filters.department_id)
    if filters.status:
        query = query.where(state_clause(filters.status, day))
    if filters.issued_from:
        query = query.where(Certificate.issued_at >= datetime.combine(filters.issued_from, time.min))
    if filters.issued_to:
        query = query.where(Certificate.issued_at < datetime.combine(filters.issued_to + timedelta(days=1), time.min))
    if filters.q:
        columns = (Certificate.recipient_name, Certificate.employee_no, User.name, User.employee_no, User.username)
        query = query.where(or_(*(column.icontains(filters.q, autoescape=True) for column in columns)))
    return query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def _guard(value: str) -> str:
    """Neutralise a cell a spreadsheet would read as a formula."""
    return "'" + value if value.startswith(DANGEROUS) else value


HEADERS = (
    _l("证书编号"),
    _l("姓名"),
    _l("工号"),
    _l("部门"),
    _l("课程"),
    _l("学时"),
    _l("颁发日期"),
    _l("有效期至"),
    _l("状态"),
    _l("免修"),
    _l("撤销日期"),
    _l("撤销原因"),
)


def _values(cert: Certificate, department: str | None, day: date) -> list[Any]:
    """One certificate as typed cells (dates as dates, 学时 as a number)."""
    return [
        cert.code,
        cert.recipient_name,
        cert.employee_no or "",
        department or "",
        cert.course_title,
        float(study_hours(cert.minutes)),
        cert.issued_at.date(),
        cert.expires_at,
        str(STATE_LABELS[CertificateStatus(cert.state(day))]),
        _("是") if cert.waived else "",
        cert.revoked_at.date() if cert.revoked_at else None,
        cert.revoked_reason or "",
    ]


def _rows(filters: Filters, day: date) -> Iterator[tuple[Certificate, str | None]]:
    """The matching rows, streamed in batches."""
    result = db.session.execute(register_query(filters, day).execution_options(yield_per=BATCH))
    yield from ((cert, department) for cert, department in result)


def csv_chunks(filters: Filters, day: date) -> Iterator[bytes]:
    """The register as CSV, UTF-8 with a BOM (Excel and WPS show the Chinese), a batch of rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(h) for h in HEADERS])
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for n, (cert, department) in enumerate(_rows(filters, day), 1):
        cells = _values(cert, department, day)
        writer.writerow(
            [
                v.isoformat()
                if isinstance(v, date)
                else ""
                if v is None
                else _guard(str(v))
                if isinstance(v, str)
                else v
                for v in cells
            ]
        )
        if n % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_file(filters: Filters, day: date) -> Any:
    """The register as XLSX (write-only workbook in a temporary file): typed dates and numbers."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("证书登记")))
    sheet.append([str(h) for h in HEADERS])
    for cert, department in _rows(filters, day):
        cells = _values(cert, department, day)
        sheet.append([_guard(v) if isinstance(v, str) else v for v in cells])
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115  (send_file closes it)
    book.save(handle)
    handle.seek(0)
    return handle


def _stamp() -> str:
    return f"{utcnow():%Y%m%d}"


@bp.get("/hr/certificates")
@role_required(*REGISTER_ROLES)
def register():
    """The certificate register: filters, one page of certificates with their state, exports and the ZIP."""
    filters = Filters.from_args(request.args)
    day = today()
    page = paginate_rows(register_query(filters, day), page_arg(), current_app.config["PER_PAGE"])
    courses = db.session.execute(select(Course.id, Course.title).order_by(Course.position, Course.title)).all()
    departments = db.session.execute(select(Department.id, Department.name).order_by(Department.name)).all()
    return render_template(
        "reports/certificates_register.html",
        page=page,
        filters=filters,
        args=filters.as_args(),
        courses=courses,
        departments=departments,
        state_labels=STATE_LABELS,
        today=day,
        study_hours=study_hours,
        archive_max=current_app.config.get("CERTIFICATE_ARCHIVE_MAX", 2000),
    )


@bp.get("/hr/certificates.csv")
@role_required(*REGISTER_ROLES)
def register_csv():
    """The filtered register as CSV (UTF-8 with BOM), streamed."""
    filters, day = Filters.from_args(request.args), today()
    response = Response(stream_with_context(csv_chunks(filters, day)), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="certificates-{_stamp()}.csv"'
    return response


@bp.get("/hr/certificates.xlsx")
@role_required(*REGISTER_ROLES)
def register_xlsx():
    """The filtered register as XLSX."""
    handle = xlsx_file(Filters.from_args(request.args), today())
    return send_file(
        handle,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"certificates-{_stamp()}.xlsx",
    )


@bp.get("/hr/certificates.zip")
@role_required(*REGISTER_ROLES)
def register_zip():
    """The filtered certificates' PDFs as one ZIP archive; refused with a clear message above the cap."""
    filters, day = Filters.from_args(request.args), today()
    cap = int(current_app.config.get("CERTIFICATE_ARCHIVE_MAX", 2000))
    query = register_query(filters, day)
    certs = [cert for cert, _department in db.session.execute(query.limit(cap + 1))]
    if len(certs) > cap:
        message = _(
            "筛选结果超过 %(cap)d 张证书，无法打包下载。请缩小筛选范围（例如按课程、部门或颁发日期）后再试。", cap=cap
        )
        return render_template("reports/certificates_too_many.html", message=message, args=filters.as_args()), 422
    data = certificates_archive(certs, lambda code: url_for("reports.verify", code=code, _external=True))
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="certificates-{_stamp()}.zip"'},
    )


@bp.get("/certificates")
@login_required
def mine():
    """The signed-in person's certificates, every one ever issued, with its state and expiry."""
    certs = db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == current_user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    return render_template(
        "reports/certificates_mine.html", certs=certs, state_labels=STATE_LABELS, today=today(), study_hours=study_hours
    )
