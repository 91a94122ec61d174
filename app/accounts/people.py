"""The people list (admins' user administration, HR's staff page): filters, one page at a time, exports.

Filters: free text (username, name, 工号), department, role and status (active, deactivated, must change
password). A page is three statements whatever its size (count, users with their department, their
roles); the exports (CSV as UTF-8 with BOM, XLSX) hold every person the filters match.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import Select, or_, select

from app.accounts import services
from app.accounts.forms import ROLE_LABELS
from app.accounts.models import ROLES, User, UserRole
from app.core.pagination import parse_int

STATUSES = {
    "active": _l("启用"),
    "inactive": _l("已停用"),
    "must_change": _l("须修改密码"),
}
EXPORT_HEADERS = ("用户名", "姓名", "工号", "部门", "岗位", "邮箱", "角色", "状态", "须修改密码", "最近登录")
MAX_BULK = 500  # people one bulk action may name
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _clean(text: str, limit: int) -> str:
    """Printable characters only (no NUL or escapes), trimmed and cut to ``limit``."""
    return "".join(ch for ch in text if ch.isprintable()).strip()[:limit]


@dataclass(frozen=True)
class PeopleFilter:
    """What the list shows: text, department id, role, status (empty: any)."""

    q: str = ""
    department: int | None = None
    role: str = ""
    status: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> PeopleFilter:
        """Read the filters from a query string; unknown values mean "any" (never an error)."""
        role = args.get("role", "")
        status = args.get("status", "")
        return cls(
            q=_clean(args.get("q", ""), 64),
            department=parse_int(args.get("department")),
            role=role if role in ROLES else "",
            status=status if status in STATUSES else "",
        )

    def args(self) -> dict[str, str | int]:
        """The filters as query-string arguments (for the pager and the export links), empty ones left out."""
        return {key: value for key, value in asdict(self).items() if value}


def list_url(endpoint: str, wanted: PeopleFilter) -> str:
    """The list's address with these filters."""
    values: dict[str, Any] = wanted.args()
    return url_for(endpoint, **values)


def people_query(wanted: PeopleFilter) -> Select:
    """Users matching the filters, by username (department joined, roles loaded in one more statement)."""
    query = select(User).order_by(User.username)
    if wanted.q:
        like = f"%{wanted.q}%"
        query = query.where(or_(User.username.ilike(like), User.name.ilike(like), User.employee_no.ilike(like)))
    if wanted.department:
        query = query.where(User.department_id == wanted.department)
    if wanted.role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == wanted.role)))
    if wanted.status == "active":
        query = query.where(User.active.is_(True))
    elif wanted.status == "inactive":
        query = query.where(User.active.is_(False))
    elif wanted.status == "must_change":
        query = query.where(User.must_change_password.is_(True), User.active.is_(True))
    return query


def manageable_ids(actor: User, users: Iterable[User]) -> set[int]:
    """The people on a page ``actor`` may deactivate or invite (services.manage_problem; no statements)."""
    return {user.id for user in users if services.manage_problem(actor, user) is None}


def _roles_text(user: User) -> str:
    return "、".join(str(ROLE_LABELS.get(role, role)) for role in sorted(user.roles))


def _guard(value: str) -> str:
    """Neutralise a CSV cell a spreadsheet would read as a formula."""
    return "'" + value if value.startswith(DANGEROUS) else value


def export_row(user: User) -> list[str]:
    """One person's cells, as text, in the order of EXPORT_HEADERS."""
    return [
        user.username,
        user.name,
        user.employee_no or "",
        user.department.name if user.department else "",
        user.position or "",
        user.email or "",
        _roles_text(user),
        str(STATUSES["active" if user.active else "inactive"]),
        str(_l("是")) if user.must_change_password else "",
        user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "",
    ]


def export_csv(users: Iterable[User]) -> bytes:
    """The list as CSV, UTF-8 with BOM (Excel and WPS show the Chinese), formula-like cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for user in users:
        writer.writerow([_guard(cell) for cell in export_row(user)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(users: Iterable[User]) -> bytes:
    """The list as XLSX: text cells (never formulas), a bold, frozen header row."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("人员")
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJ", (16, 12, 12, 16, 14, 26, 16, 8, 10, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    header = []
    for title in EXPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for user in users:
        cells = []
        for value in export_row(user):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, even when it starts with '='
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
