"""Staff import from CSV or XLSX: parse, validate, preview, then apply all-or-nothing.

Columns (first row, in any order; extra columns are ignored): 工号, 姓名, 部门 (required), 岗位, 邮箱,
角色 (学员、讲师、人事、管理员, several separated by 、 , ; or spaces; empty means 学员 for new staff),
班组. CSV files may be UTF-8, UTF-8 with BOM, or GBK/GB18030 (what Excel in China writes).

People are matched on 工号; the username of a new account is its 工号 (lower case). Re-importing a
file changes only what differs; an import never removes roles, memberships or accounts, and an
empty optional cell never erases what is stored. New accounts get a one-time password that is shown
once to HR.

Roles: the importing user (``actor``) may grant only what they could grant on the admin pages
(services.grantable_roles): HR gives 学员 and 讲师, an admin any role. A row that would grant more is a
problem on that row, so nothing is written; a role the person already holds is not a grant. The preview
shows each existing person's added roles ("角色：+讲师"), and the audit log gets one user.roles_changed
event per person whose roles change, naming the actor.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts import services
from app.accounts.auth import normalise_username
from app.accounts.forms import ROLE_LABELS
from app.accounts.models import Cohort, CohortMember, Department, User
from app.core import spreadsheets
from app.core.domain import InvalidInput
from app.extensions import db

MAX_ROWS = 10_000
MAX_COLUMNS = 30
HEADERS = {
    "工号": "employee_no", "姓名": "name", "部门": "department", "岗位": "position",
    "邮箱": "email", "角色": "roles", "班组": "cohort",
    "employee_no": "employee_no", "name": "name", "department": "department", "position": "position",
    "email": "email", "role": "roles", "roles": "roles", "cohort": "cohort",
}
REQUIRED = {"employee_no": _l("工号"), "name": _l("姓名"), "department": _l("部门")}
ROLE_NAMES = {
    "学员": "trainee", "讲师": "instructor", "人事": "hr", "管理员": "admin", "经理": "manager",
    "trainee": "trainee", "instructor": "instructor", "hr": "hr", "admin": "admin", "manager": "manager",
}
LIMITS = {"name": 80, "department": 80, "position": 80, "email": 254, "cohort": 80}
EMPLOYEE_NO = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
ROLE_SPLIT = re.compile(r"[、,，;；/\s]+")
OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class StaffFileError(InvalidInput):
    """The file as a whole cannot be read; the message is for the user."""


@dataclass
class StaffRow:
    """One data row of the file with its problems and the change it would make."""

    line: int
    employee_no: str = ""
    name: str = ""
    department: str = ""
    position: str = ""
    email: str = ""
    role_text: str = ""
    cohort: str = ""
    roles: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    action: str = ""
    changes: list[str] = field(default_factory=list)
    roles_added: list[str] = field(default_factory=list)  # what the import grants (all roles of a new account)
    roles_removed: list[str] = field(default_factory=list)  # always empty: an import never removes roles
    user: User | None = None

    @property
    def username(self) -> str:
        """The username a new account gets."""
        return normalise_username(self.employee_no)


@dataclass
class Preview:
    """Every row of a file, checked against the database; nothing written."""

    rows: list[StaffRow]
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[StaffRow]:
        """Rows with at least one problem."""
        return [row for row in self.rows if row.problems]

    @property
    def ok(self) -> bool:
        """Whether the import can be applied."""
        return bool(self.rows) and not self.bad_rows

    def count(self, action: str) -> int:
        """Rows that would be created, updated or left unchanged."""
        return sum(row.action == action for row in self.rows)

    @property
    def role_changes(self) -> list[StaffRow]:
        """Rows of existing people whose roles would change."""
        return [row for row in self.rows if row.action == "update" and (row.roles_added or row.roles_removed)]


@dataclass
class NewAccount:
    """An account created by the import, with its one-time password (shown once)."""

    employee_no: str
    name: str
    username: str
    password: str


@dataclass
class RoleChange:
    """Roles an applied import gave an existing person."""

    employee_no: str
    name: str
    added: list[str]
    removed: list[str]


@dataclass
class ImportResult:
    """What an applied import did."""

    created: list[NewAccount]
    updated: int
    unchanged: int
    role_changes: list[RoleChange] = field(default_factory=list)


def read_table(data: bytes) -> list[list[str]]:
    """Read an XLSX or CSV file (UTF-8, UTF-8 with BOM, GBK) into rows of stripped strings, with bounded work."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise StaffFileError(str(_l("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV。")))
    limits = spreadsheets.Limits(max_rows=MAX_ROWS + 1, max_columns=MAX_COLUMNS)  # the header and MAX_ROWS rows
    try:
        if data.startswith(b"PK\x03\x04"):
            return spreadsheets.read_xlsx_rows(data, limits)
        return spreadsheets.read_csv_rows(data, limits)
    except spreadsheets.TooManyRows as error:
        raise StaffFileError(str(_l("一次最多导入 %(n)d 行，请拆分文件。", n=MAX_ROWS))) from error
    except spreadsheets.SpreadsheetError as error:
        raise StaffFileError(str(error)) from error


def parse(data: bytes) -> tuple[list[StaffRow], list[str]]:
    """Turn file bytes into rows (blank rows skipped) and the names of ignored columns."""
    table = read_table(data)
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise StaffFileError(str(_l("文件是空的。")))
    header = [cell.lstrip("\ufeff").strip() for cell in table[0]]
    columns: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        key = HEADERS.get(title) or HEADERS.get(title.lower())
        if key and key not in columns:
            columns[key] = index
        elif title:
            ignored.append(title)
    missing = [str(label) for key, label in REQUIRED.items() if key not in columns]
    if missing:
        raise StaffFileError(str(_l("第一行缺少这些列：%(columns)s。", columns="、".join(missing))))
    if len(table) - 1 > MAX_ROWS:
        raise StaffFileError(str(_l("一次最多导入 %(n)d 行，请拆分文件。", n=MAX_ROWS)))
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        row = StaffRow(line=number)
        for key, index in columns.items():
            value = cells[index] if index < len(cells) else ""
            setattr(row, "role_text" if key == "roles" else key, value)
        rows.append(row)
    return rows, ignored


def preview(data: bytes, *, actor: User) -> Preview:
    """Parse and check every row against the file, the database and what ``actor`` may grant; write nothing."""
    rows, ignored = parse(data)
    _check_rows(rows)
    _plan(rows, actor)
    return Preview(rows, ignored)


def _check_rows(rows: list[StaffRow]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        for key, label in REQUIRED.items():
            if not getattr(row, key):
                row.problems.append(str(_l("缺少%(field)s。", field=label)))
        if row.employee_no:
            if not EMPLOYEE_NO.match(row.employee_no):
                row.problems.append(
                    str(_l("工号「%(no)s」格式不正确：只能包含字母、数字、点、下划线和连字符，最长 32 位。", no=row.employee_no))
                )
            key = row.username
            if key in seen:
                row.problems.append(str(_l("工号 %(no)s 与第 %(line)d 行重复。", no=row.employee_no, line=seen[key])))
            else:
                seen[key] = row.line
        for key, limit in LIMITS.items():
            if len(getattr(row, key)) > limit:
                row.problems.append(str(_l("%(field)s超过 %(n)d 个字符。", field=_label(key), n=limit)))
        if row.email and len(row.email) <= LIMITS["email"]:
            try:
                validate_email(row.email, check_deliverability=False)
            except EmailNotValidError:
                row.problems.append(str(_l("邮箱「%(email)s」格式不正确。", email=row.email)))
        _check_roles(row)


def _label(key: str) -> str:
    return str({"name": _l("姓名"), "department": _l("部门"), "position": _l("岗位"), "email": _l("邮箱"),
                "cohort": _l("班组")}[key])


def _check_roles(row: StaffRow) -> None:
    words = [w for w in ROLE_SPLIT.split(row.role_text) if w]
    unknown = [w for w in words if w.lower() not in ROLE_NAMES and w not in ROLE_NAMES]
    if unknown:
        row.problems.append(
            str(_l("未知角色：%(roles)s（可用：学员、讲师、人事、管理员）。", roles="、".join(unknown)))
        )
    row.roles = sorted({ROLE_NAMES.get(w) or ROLE_NAMES[w.lower()] for w in words if w not in unknown})


def _plan(rows: list[StaffRow], actor: User) -> None:
    """Find existing people by 工号, check the roles each row would grant, and decide create / update / unchanged."""
    numbers = [row.employee_no for row in rows if row.employee_no]
    usernames = [row.username for row in rows if row.employee_no]
    by_no = {u.employee_no: u for u in _users(User.employee_no, numbers)}
    by_username = {u.username: u for u in _users(User.username, usernames)}
    memberships = _memberships([u.id for u in by_no.values()])
    departments = {d.id: d.name for d in db.session.scalars(select(Department))}
    grantable = services.grantable_roles(actor)
    for row in rows:
        user = by_no.get(row.employee_no) if row.employee_no else None
        held = user.roles if user else set()
        roles = set(row.roles) | held or {"trainee"}
        for role in sorted(roles - held):  # every row, so a bad row lists this problem too
            if role not in grantable:
                row.problems.append(services.grant_problem(actor, role) or "")
        if row.problems:
            continue
        other = by_username.get(row.username)
        if user is None and other is not None:
            row.problems.append(str(_l("用户名 %(name)s 已被另一个账号使用。", name=row.username)))
            continue
        if row.cohort and not roles & {"trainee", "instructor"}:
            row.problems.append(str(_l("填写了班组，但此人既不是学员也不是讲师。")))
            continue
        row.roles = sorted(roles)
        row.roles_added = sorted(roles - held)
        if user is None:
            row.action = "create"
            continue
        row.user = user
        row.changes = _changes(row, user, departments, memberships)
        row.action = "update" if row.changes else "unchanged"


def _users(column, values: list[str]) -> Iterable[User]:
    if not values:
        return []
    return db.session.scalars(select(User).where(column.in_(values)))


def _memberships(user_ids: list[int]) -> set[tuple[int, str, str]]:
    if not user_ids:
        return set()
    rows = db.session.execute(
        select(CohortMember.user_id, Cohort.name, CohortMember.role)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.user_id.in_(user_ids))
    )
    return {tuple(r) for r in rows}


def _changes(row: StaffRow, user: User, departments: dict[int, str], memberships: set) -> list[str]:
    changes = []
    if row.name != user.name:
        changes.append(str(_l("姓名")))
    if row.department != departments.get(user.department_id):
        changes.append(str(_l("部门")))
    if row.position and row.position != (user.position or ""):
        changes.append(str(_l("岗位")))
    if row.email and row.email != (user.email or ""):
        changes.append(str(_l("邮箱")))
    if row.roles_added or row.roles_removed:
        changes.append(str(_l("角色：%(changes)s", changes=role_changes_text(row.roles_added, row.roles_removed))))
    if row.cohort and (user.id, row.cohort, _member_role(row.roles)) not in memberships:
        changes.append(str(_l("班组")))
    return changes


def role_changes_text(added: list[str], removed: list[str]) -> str:
    """Role changes for people, such as ``+讲师、-学员``."""
    return "、".join([f"+{ROLE_LABELS.get(r, r)}" for r in added] + [f"-{ROLE_LABELS.get(r, r)}" for r in removed])


def _member_role(roles: list[str]) -> str:
    return "trainee" if "trainee" in roles else "instructor"


def one_time_password() -> str:
    """A random initial password such as ``Xk3m-9Tq2-Lp7w`` (about 70 bits)."""
    raw = "".join(secrets.choice(OTP_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def apply(data: bytes, *, actor: User) -> ImportResult:
    """Check the file again (with what ``actor`` may grant) and write every row in one transaction, or nothing."""
    checked = preview(data, actor=actor)
    if not checked.ok:
        raise StaffFileError(str(_l("文件中有 %(n)d 行存在问题，未导入任何数据。", n=len(checked.bad_rows))))
    created = []
    role_changes = []
    try:
        for row in checked.rows:
            if row.action == "create":
                password = one_time_password()
                user = services.create_user(
                    row.employee_no, row.name, password, row.roles, department=row.department,
                    email=row.email or None, employee_no=row.employee_no, position=row.position or None,
                    generated_password=True, commit=False, actor=actor,
                )
                services.record_as(actor, "user.roles_changed", user, {
                    "username": user.username, "added": sorted(user.roles), "removed": [], "source": "import",
                })
                created.append(NewAccount(row.employee_no, row.name, user.username, password))
            elif row.action == "update":
                user = row.user
                _update(user, row, actor)
                if row.roles_added or row.roles_removed:
                    role_changes.append(RoleChange(row.employee_no, row.name, row.roles_added, row.roles_removed))
            else:
                continue
            if row.cohort:
                db.session.flush()
                services.add_member(services.get_or_create_cohort(row.cohort), user, _member_role(row.roles), commit=False)
        services.record_as(actor, "staff.imported", None, {"created": len(created), "updated": checked.count("update"), "unchanged": checked.count("unchanged")})
        db.session.commit()
    except services.AccountError as error:  # the data changed since the preview
        db.session.rollback()
        raise StaffFileError(str(_l("导入失败，未写入任何数据：%(error)s", error=error))) from error
    except IntegrityError as error:  # a concurrent import created the same people
        db.session.rollback()
        raise StaffFileError(str(_l("有人同时导入了相同的人员，未写入任何数据，请重新上传预览。"))) from error
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(created, checked.count("update"), checked.count("unchanged"), role_changes)


def _update(user: User, row: StaffRow, actor: User) -> None:
    user.name = row.name
    user.department = services.get_or_create_department(row.department)
    if row.position:
        user.position = row.position
    if row.email:
        user.email = row.email
    if row.roles_added:  # set_roles checks again that the actor may grant them, and records who did
        services.set_roles(user, user.roles | set(row.roles_added), actor=actor, commit=False, source="import")
