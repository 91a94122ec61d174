"""Staff import from CSV or XLSX: parse, validate, preview, then apply all-or-nothing.

The columns are :data:`COLUMNS`, one :class:`StaffColumn` each (Chinese header, English aliases,
required, maximum length, label, help text, sample cell, the User attribute it keeps): it drives the
parsing, the checks, the comparison and the write of plain attributes, the help table on the import
page and the sample file. Today: 工号, 姓名, 部门 (required), 岗位, 邮箱, 角色 (学员、讲师、人事、管理员、
经理, several separated by 、 , ; or spaces; empty means 学员 for new staff), 班组, 状态 (在职/离职, or
active/left). The first row names
the columns, in any order; extra columns are ignored. CSV files may be UTF-8, UTF-8 with BOM, or
GBK/GB18030 (what Excel in China writes).

People are matched on 工号; the username of a new account is its 工号 (lower case). Re-importing a
file changes only what differs; an import never removes roles, memberships or accounts, and an
empty optional cell never erases what is stored, except 状态: 离职 deactivates the person (their
sessions end, every record stays), 在职 reactivates someone deactivated; both only for people whose
roles the importer could grant. New accounts get a one-time password (or, on request, an invitation
link), never shown on a page: HR downloads them once as an XLSX (``credentials.py``), and the first
sign-in must set the person's own password.

Roles: the importing user (``actor``) may grant only what they could grant on the admin pages
(services.grantable_roles): HR gives 学员 and 讲师, an admin any role. A row that would grant more is a
problem on that row, so nothing is written; a role the person already holds is not a grant. The preview
shows each existing person's added roles ("角色：+讲师"), and the audit log gets one user.roles_changed
event per person whose roles change, naming the actor.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts import credentials, invitations, services
from app.accounts.auth import normalise_username
from app.accounts.forms import ROLE_LABELS
from app.accounts.models import Cohort, CohortMember, CredentialSheet, Department, User
from app.core import spreadsheets
from app.core.domain import InvalidInput
from app.extensions import db

log = logging.getLogger(__name__)

MAX_ROWS = 10_000
MAX_COLUMNS = 30


@dataclass(frozen=True)
class StaffColumn:
    """One column of the staff file: how it is found, checked, shown and (for plain attributes) stored."""

    key: str  # the StaffRow field
    header: str  # the Chinese header: a contract HR builds spreadsheets on
    aliases: tuple[str, ...]  # English headers, matched case-insensitively
    label: Any  # the column's name in messages (lazy)
    help: Any  # what the import page says about it (lazy)
    sample: str  # its cell in the sample file
    required: bool = False
    max_length: int | None = None
    attribute: str | None = None  # a User attribute compared and written only when the cell is not empty


COLUMNS: tuple[StaffColumn, ...] = (
    StaffColumn(
        "employee_no",
        "工号",
        ("employee_no",),
        _l("工号"),
        _l("必填，唯一；字母、数字、点、下划线或连字符。新账号的用户名就是工号。"),
        "A1001",
        required=True,
    ),
    StaffColumn("name", "姓名", ("name",), _l("姓名"), _l("必填"), "张三", required=True, max_length=80),
    StaffColumn(
        "department",
        "部门",
        ("department",),
        _l("部门"),
        _l("必填；不存在的部门会自动创建"),
        "门店销售部",
        required=True,
        max_length=80,
    ),
    StaffColumn("position", "岗位", ("position",), _l("岗位"), _l("选填"), "导购", max_length=80, attribute="position"),
    StaffColumn(
        "email", "邮箱", ("email",), _l("邮箱"), _l("选填"), "zhangsan@example.com", max_length=254, attribute="email"
    ),
    StaffColumn(
        "role_text",
        "角色",
        ("role", "roles"),
        _l("角色"),
        _l("学员、讲师、人事、管理员，可填多个，用顿号分隔；不填则为学员"),
        "学员",
    ),
    StaffColumn(
        "cohort", "班组", ("cohort",), _l("班组"), _l("选填；不存在的班组会自动创建"), "新员工一期", max_length=80
    ),
    StaffColumn(
        "status",
        "状态",
        ("status",),
        _l("状态"),
        _l(
            "选填：在职 或 离职（也可写 active / left）。离职会停用账号、结束其登录，保留全部学习记录；"
            "在职会重新启用已停用的账号；不填则不改变"
        ),
        "在职",
        max_length=16,
    ),
)
BY_KEY = {column.key: column for column in COLUMNS}
HEADERS = {name: column.key for column in COLUMNS for name in (column.header, *column.aliases)}
ROLE_NAMES = {
    "学员": "trainee",
    "讲师": "instructor",
    "人事": "hr",
    "管理员": "admin",
    "经理": "manager",
    "trainee": "trainee",
    "instructor": "instructor",
    "hr": "hr",
    "admin": "admin",
    "manager": "manager",
}
EMPLOYEE_NO = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
ROLE_SPLIT = re.compile(r"[、,，;；/\s]+")
STATUS_WORDS = {"在职": False, "离职": True, "active": False, "left": True}  # the value: whether the person left
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
    status: str = ""
    leaving: bool | None = None  # 状态: True 离职, False 在职, None not given
    roles: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    action: str = ""
    changes: list[str] = field(default_factory=list)
    roles_added: list[str] = field(default_factory=list)  # what the import grants (all roles of a new account)
    roles_removed: list[str] = field(default_factory=list)  # always empty: an import never removes roles
    user: User | None = None
    user_active: bool = False  # whether the matched person was active at the preview

    @property
    def deactivates(self) -> bool:
        """Whether applying the row deactivates an existing, active person (状态 离职)."""
        return self.action == "update" and self.leaving is True and self.user_active

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
    def leavers(self) -> list[StaffRow]:
        """Rows that deactivate an existing person (状态 离职)."""
        return [row for row in self.rows if row.deactivates]

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
    password: str  # empty when an invitation link was made instead
    invitation_url: str = ""
    emailed: bool = False  # the link went out by e-mail (it is not repeated on the sheet)


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
    deactivated: int = 0  # 离职
    reactivated: int = 0  # 在职 for someone deactivated
    invited: bool = False  # invitation links instead of passwords


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
    missing = [str(column.label) for column in COLUMNS if column.required and column.key not in columns]
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
            setattr(row, key, cells[index] if index < len(cells) else "")
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
        for column in COLUMNS:
            if column.required and not getattr(row, column.key):
                row.problems.append(str(_l("缺少%(field)s。", field=column.label)))
        if row.employee_no:
            if not EMPLOYEE_NO.match(row.employee_no):
                row.problems.append(
                    str(
                        _l(
                            "工号「%(no)s」格式不正确：只能包含字母、数字、点、下划线和连字符，最长 32 位。",
                            no=row.employee_no,
                        )
                    )
                )
            key = row.username
            if key in seen:
                row.problems.append(str(_l("工号 %(no)s 与第 %(line)d 行重复。", no=row.employee_no, line=seen[key])))
            else:
                seen[key] = row.line
        for column in COLUMNS:
            if column.max_length is not None and len(getattr(row, column.key)) > column.max_length:
                row.problems.append(str(_l("%(field)s超过 %(n)d 个字符。", field=column.label, n=column.max_length)))
        if row.email and len(row.email) <= (BY_KEY["email"].max_length or 0):
            try:
                validate_email(row.email, check_deliverability=False)
            except EmailNotValidError:
                row.problems.append(str(_l("邮箱「%(email)s」格式不正确。", email=row.email)))
        _check_roles(row)
        _check_status(row)


def _check_status(row: StaffRow) -> None:
    word = row.status.strip()
    if not word:
        return
    leaving = STATUS_WORDS.get(word, STATUS_WORDS.get(word.lower()))
    if leaving is None:
        row.problems.append(str(_l("状态「%(value)s」不正确：只能填 在职 或 离职（active / left）。", value=word[:16])))
    row.leaving = leaving


def _status_problem(row: StaffRow, user: User, actor: User) -> str | None:
    """Why the row's 状态 may not change this person (they hold a role the actor could not grant, or it is the actor)."""
    if row.leaving is None or row.leaving is not user.active:
        return None  # no change of status
    return services.manage_problem(actor, user)


def _check_roles(row: StaffRow) -> None:
    words = [w for w in ROLE_SPLIT.split(row.role_text) if w]
    unknown = [w for w in words if w.lower() not in ROLE_NAMES and w not in ROLE_NAMES]
    if unknown:
        row.problems.append(
            str(_l("未知角色：%(roles)s（可用：学员、讲师、人事、经理、管理员）。", roles="、".join(unknown)))
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
            row.action = "skip" if row.leaving else "create"  # a leaver without an account gets none
            continue
        problem = _status_problem(row, user, actor)
        if problem:
            row.problems.append(problem)
            continue
        row.user = user
        row.user_active = user.active
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
    for column in COLUMNS:  # plain attributes: an empty cell never erases what is stored
        value = getattr(row, column.key)
        if column.attribute and value and value != (getattr(user, column.attribute) or ""):
            changes.append(str(column.label))
    if row.roles_added or row.roles_removed:
        changes.append(str(_l("角色：%(changes)s", changes=role_changes_text(row.roles_added, row.roles_removed))))
    if row.cohort and (user.id, row.cohort, _member_role(row.roles)) not in memberships:
        changes.append(str(_l("班组")))
    if row.leaving is True and user.active:
        changes.append(str(_l("离职：停用账号")))
    elif row.leaving is False and not user.active:
        changes.append(str(_l("在职：重新启用账号")))
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


def apply(data: bytes, *, actor: User, invite: bool = False) -> ImportResult:
    """Check the file again (with what ``actor`` may grant) and write every row in one transaction, or nothing.

    New accounts get a one-time password, or with ``invite`` an invitation link (e-mailed after the commit
    to those with an address when SMTP is configured); either way their first sign-in sets their own password.
    """
    checked = preview(data, actor=actor)
    if not checked.ok:
        raise StaffFileError(str(_l("文件中有 %(n)d 行存在问题，未导入任何数据。", n=len(checked.bad_rows))))
    applied = Applied()
    created, issued, written = applied.created, applied.issued, applied.written
    status_changes, role_changes = applied.status_changes, applied.role_changes
    actor_id = actor.id
    try:
        apply_rows(checked.rows, actor=actor, invite=invite, into=applied)
        services.record_as(
            actor,
            "staff.imported",
            None,
            {
                "created": len(created),
                "updated": checked.count("update"),
                "unchanged": checked.count("unchanged"),
                **status_changes,
                "invited": len(issued),
            },
        )
        db.session.flush()  # ids for the log, read before the commit expires the objects
        ids = {action: [u.id for a, u in written if a == action] for action in ("created", "updated")}
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
    log.info(
        "staff imported",
        extra={
            "actor_id": actor_id,
            "created_user_ids": ids["created"],
            "updated_user_ids": ids["updated"],
            "unchanged": checked.count("unchanged"),
        },
    )
    sent = invitations.send(issued, actor=actor)  # once for all of them
    emailed = {i.username for i in issued if i.user_id in sent}
    for account in created:
        account.emailed = account.username in emailed
    return ImportResult(
        created,
        checked.count("update"),
        checked.count("unchanged"),
        role_changes,
        invited=invite,
        **status_changes,
    )


@dataclass
class Applied:
    """What applying rows wrote so far (one transaction, or the chunks of a background job)."""

    created: list[NewAccount] = field(default_factory=list)
    issued: list[invitations.Issued] = field(default_factory=list)
    status_changes: dict[str, int] = field(default_factory=lambda: {"deactivated": 0, "reactivated": 0})
    role_changes: list[RoleChange] = field(default_factory=list)
    written: list[tuple[str, User]] = field(default_factory=list)  # (action, user), for the log


def apply_rows(rows: Iterable[StaffRow], *, actor: User, invite: bool, into: Applied) -> None:
    """Write checked rows (create or update; unchanged rows are skipped) into the session, without committing.

    Raises services.AccountError or IntegrityError when the data changed since the check; the caller rolls back.
    """
    created, issued, written = into.created, into.issued, into.written
    status_changes, role_changes = into.status_changes, into.role_changes
    for row in rows:
        if row.action == "create":
            password = one_time_password()
            user = services.create_user(
                row.employee_no,
                row.name,
                password,
                row.roles,
                department=row.department,
                email=row.email or None,
                employee_no=row.employee_no,
                position=row.position or None,
                generated_password=True,
                must_change_password=True,
                commit=False,
                actor=actor,
            )
            _set_attributes(user, row)  # columns create_user does not take (a no-op for 岗位 and 邮箱)
            written.append(("created", user))
            services.record_as(
                actor,
                "user.roles_changed",
                user,
                {
                    "username": user.username,
                    "added": sorted(user.roles),
                    "removed": [],
                    "source": "import",
                },
            )
            if invite:  # the password above is never shown: the link lets the person choose theirs
                issued.append(invitations.issue(user, actor=actor, commit=False))
                created.append(NewAccount(row.employee_no, row.name, user.username, "", issued[-1].url))
            else:
                created.append(NewAccount(row.employee_no, row.name, user.username, password))
        elif row.action == "update":
            user = row.user
            if row.leaving is not None and row.leaving is user.active:
                status_changes["deactivated" if row.leaving else "reactivated"] += 1
            _update(user, row, actor)
            written.append(("updated", user))
            if row.roles_added or row.roles_removed:
                role_changes.append(RoleChange(row.employee_no, row.name, row.roles_added, row.roles_removed))
        else:
            continue
        if row.cohort:
            db.session.flush()
            services.add_member(services.get_or_create_cohort(row.cohort), user, _member_role(row.roles), commit=False)


def renew_account(user: User, *, actor: User, invite: bool, into: Applied) -> None:
    """An account a resumed import created before its worker stopped: a new one-time password (or link) for the sheet."""
    if invite:
        into.issued.append(invitations.issue(user, actor=actor, commit=False))
        into.created.append(NewAccount(user.employee_no or "", user.name, user.username, "", into.issued[-1].url))
        return
    password = one_time_password()
    user.set_password(password, generated=True)
    into.created.append(NewAccount(user.employee_no or "", user.name, user.username, password))


def credential_entries(result: ImportResult) -> list[credentials.Credential]:
    """The lines of the one-time sheet: each new account's password, or its link (a note when it was e-mailed)."""
    emailed = str(_l("已通过邮件发送"))
    return [
        credentials.Credential(
            account.name,
            account.username,
            account.employee_no,
            account.password or (emailed if account.emailed else account.invitation_url),
        )
        for account in result.created
    ]


def store_credentials(result: ImportResult, *, owner: User) -> CredentialSheet | None:
    """Keep the new accounts' passwords or links as a one-time XLSX download for ``owner`` (None: nobody new)."""
    if not result.created:
        return None
    return credentials.store(credential_entries(result), owner=owner, invitations=result.invited)


def _update(user: User, row: StaffRow, actor: User) -> None:
    user.name = row.name
    user.department = services.get_or_create_department(row.department)
    _set_attributes(user, row)
    if row.roles_added:  # set_roles checks again that the actor may grant them, and records who did
        services.set_roles(user, user.roles | set(row.roles_added), actor=actor, commit=False, source="import")
    if row.leaving is True and user.active:  # ends their sessions and tokens; every record stays
        services.deactivate(user, actor=actor, source="import")
    elif row.leaving is False and not user.active:
        services.reactivate(user, actor=actor, source="import")


def _set_attributes(user: User, row: StaffRow) -> None:
    """Write the row's plain attribute columns that have a value (an empty cell never erases)."""
    for column in COLUMNS:
        value = getattr(row, column.key)
        if column.attribute and value:
            setattr(user, column.attribute, value)


def sample_csv() -> str:
    """The sample file offered on the import page: the headers and one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.header for column in COLUMNS])
    writer.writerow([column.sample for column in COLUMNS])
    return buffer.getvalue()
