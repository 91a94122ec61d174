"""Writes for accounts: users, roles, departments, cohorts and memberships."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.auth import normalise_username
from app.accounts.models import MEMBER_ROLES, ROLES, Cohort, CohortMember, Department, User, UserRole, UserSession
from app.accounts.passwords import password_problem
from app.core import audit
from app.core.domain import InvalidInput, NotAllowed
from app.core.signals import sessions_ended
from app.core.time import utcnow
from app.extensions import db

log = logging.getLogger(__name__)


class AccountError(InvalidInput):
    """A request that cannot be carried out; the message is for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SelfLockoutError(NotAllowed, AccountError):
    """An administrator tried to take away their own admin role or to deactivate their own account."""


def _refuse_self_lockout(actor: User | None, user: User, *, roles: set[str] | None = None, active: bool = True) -> None:
    """Raise SelfLockoutError when ``actor`` would remove their own admin role or deactivate themselves."""
    if actor is None or actor.id != user.id:
        return
    if (roles is not None and "admin" in user.roles and "admin" not in roles) or not active:
        raise SelfLockoutError(str(_l("不能取消自己的管理员角色或停用自己的账号。")))


@contextmanager
def _taken(message: str) -> Iterator[None]:
    """Turn a unique-constraint race (two people saving the same name at once) into an AccountError."""
    try:
        yield
    except IntegrityError as error:
        db.session.rollback()
        raise AccountError(str(message)) from error


def get_or_create_department(name: str | None) -> Department | None:
    """Return the department with this name, creating it when needed."""
    name = (name or "").strip()
    if not name:
        return None
    dept = db.session.scalar(select(Department).where(Department.name == name))
    if dept is None:
        dept = Department(name=name)
        db.session.add(dept)
        db.session.flush()
    return dept


def get_or_create_cohort(name: str) -> Cohort:
    """Return the cohort with this name, creating it when needed."""
    name = name.strip()
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == name))
    if cohort is None:
        cohort = Cohort(name=name)
        db.session.add(cohort)
        db.session.flush()
    return cohort


def _check_roles(roles: list[str] | set[str]) -> set[str]:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountError(str(_l("未知角色：%(roles)s", roles=", ".join(sorted(unknown)))))
    return set(roles)


# --- who may grant which role ----------------------------------------------------------------
#
# One rule for every path that gives or takes roles (admin pages, staff import): nobody grants a role
# they could not grant on the admin pages. An admin grants every role the platform has; HR gives only
# trainee and instructor (through the staff import); everybody else grants nothing. ``actor=None``
# means the platform itself (command line, demo data), which has no signed-in user to check.

HR_GRANTABLE = frozenset({"trainee", "instructor"})

_NOT_GRANTABLE_BY_HR = {
    "hr": _l("人事无权授予人事角色"),
    "admin": _l("人事无权授予管理员角色"),
    "manager": _l("人事无权授予经理角色"),
}
_NOT_GRANTABLE = {
    "trainee": _l("你无权授予学员角色"),
    "instructor": _l("你无权授予讲师角色"),
    "hr": _l("你无权授予人事角色"),
    "manager": _l("你无权授予经理角色"),
    "admin": _l("你无权授予管理员角色"),
}


def grantable_roles(actor: User | None) -> set[str]:
    """The roles ``actor`` may give or take away: every role for an admin, trainee and instructor for HR."""
    if actor is None:
        return set()
    if actor.has_role("admin"):
        return set(ROLES)
    if actor.has_role("hr"):
        return set(HR_GRANTABLE) & set(ROLES)
    return set()


def grant_problem(actor: User | None, role: str) -> str | None:
    """Why ``actor`` may not grant ``role`` (a message for the user), or None when they may."""
    if role in grantable_roles(actor):
        return None
    if role not in ROLES:
        return str(_l("未知角色：%(roles)s", roles=role))
    if actor is not None and actor.has_role("hr") and role in _NOT_GRANTABLE_BY_HR:
        return str(_NOT_GRANTABLE_BY_HR[role])
    return str(_NOT_GRANTABLE.get(role) or _l("你无权授予「%(role)s」角色", role=role))


def check_grant(actor: User | None, roles: set[str] | list[str]) -> None:
    """Raise AccountError unless ``actor`` may grant (or remove) every one of ``roles``; None is the platform."""
    if actor is None:
        return
    problems = [p for p in (grant_problem(actor, role) for role in sorted(roles)) if p]
    if problems:
        raise AccountError("；".join(problems))


def record_as(actor: User | None, action: str, target=None, details: dict | None = None) -> audit.AuditEvent:
    """Record an audit event naming ``actor`` (when given) as the one who acted, whatever the request's user."""
    event = audit.record(action, target, details)
    if actor is not None:
        event.actor_id = actor.id
    return event


def create_user(
    username: str,
    name: str,
    password: str,
    roles: list[str] | set[str] = ("trainee",),
    *,
    department: str | None = None,
    email: str | None = None,
    employee_no: str | None = None,
    position: str | None = None,
    generated_password: bool = False,
    must_change_password: bool = False,
    commit: bool = True,
    actor: User | None = None,
) -> User:
    """Create a user with hashed password and roles (``generated_password``: made by the platform).

    ``must_change_password``: someone else chose the password (admin, HR, import, CLI), so the first
    sign-in must replace it (the demo accounts are created without it).

    ``actor`` is who creates the account: they must be allowed to grant every role (see grantable_roles);
    None is the platform itself (command line, demo data).
    """
    key = normalise_username(username)
    if not key:
        raise AccountError(str(_l("用户名不能为空。")), field="username")
    if db.session.scalar(select(func.count()).select_from(User).where(User.username == key)):
        raise AccountError(str(_l("用户名 %(name)s 已存在。", name=key)), field="username")
    if employee_no and db.session.scalar(select(func.count()).select_from(User).where(User.employee_no == employee_no)):
        raise AccountError(str(_l("工号 %(no)s 已存在。", no=employee_no)), field="employee_no")
    check_grant(actor, _check_roles(roles))
    problem = password_problem(password, key)
    if problem:
        raise AccountError(problem, field="password")
    user = User(
        username=key,
        name=name.strip() or key,
        email=(email or None),
        employee_no=(employee_no or None),
        position=(position or None),
        department=get_or_create_department(department),
    )
    user.set_password(password, generated=generated_password)
    user.must_change_password = must_change_password
    user.role_rows = [UserRole(role=r) for r in sorted(_check_roles(roles))]
    with _taken(_l("用户名或工号已被占用，请换一个。")):
        db.session.add(user)
        record_as(actor, "user.created", user, {"username": key, "roles": sorted(user.roles)})
        if commit:
            db.session.commit()
    return user


def update_user(
    user: User,
    *,
    name: str,
    email: str | None,
    employee_no: str | None,
    position: str | None,
    department_id: int | None,
    roles: list[str],
    active: bool,
    actor: User | None = None,
) -> User:
    """Update profile, roles and status in one transaction (``actor``: who, checked as in set_roles).

    An administrator may not remove their own admin role or deactivate themselves (SelfLockoutError).
    """
    _refuse_self_lockout(actor, user, roles=set(roles), active=active)
    wanted = _check_roles(roles)
    check_grant(actor, wanted ^ user.roles)
    if employee_no and db.session.scalar(
        select(func.count()).select_from(User).where(User.employee_no == employee_no, User.id != user.id)
    ):
        raise AccountError(str(_l("工号 %(no)s 已存在。", no=employee_no)))
    if department_id is not None and db.session.get(Department, department_id) is None:
        raise AccountError(str(_l("部门不存在。")))
    user.name = name.strip()
    user.email = email or None
    user.employee_no = employee_no or None
    user.position = position or None
    user.department_id = department_id
    set_roles(user, roles, commit=False, actor=actor)
    if user.active and not active:
        _deactivate(user)
    elif active and not user.active:
        user.active = True
        audit.record("user.reactivated", user, {"username": user.username})
    ids = {"user_id": user.id, "actor_id": actor.id if actor else None}
    with _taken(_l("工号已被占用，请换一个。")):
        db.session.commit()
    log.info("user updated", extra=ids)
    return user


def set_roles(
    user: User,
    roles: list[str] | set[str],
    *,
    commit: bool = True,
    actor: User | None = None,
    source: str | None = None,
) -> None:
    """Replace the user's roles; ``actor`` (None: the platform) must be allowed to grant every role added or removed.

    The audit event names the actor, the person, the roles added and removed, and ``source`` (such as "import").
    """
    wanted = _check_roles(roles)
    if not wanted:
        raise AccountError(str(_l("至少需要一个角色。")))
    _refuse_self_lockout(actor, user, roles=wanted)
    before = user.roles
    check_grant(actor, wanted ^ before)
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - user.roles)
    ]
    if wanted != before:
        details = {"username": user.username, "added": sorted(wanted - before), "removed": sorted(before - wanted)}
        if source:
            details["source"] = source
        record_as(actor, "user.roles_changed", user, details)
    if commit:
        ids = {"user_id": user.id, "actor_id": actor.id if actor else None}
        db.session.commit()
        log.info("roles set", extra=ids)


def end_all_sessions(user: User) -> None:
    """End every browser session and API token of the user (the caller commits)."""
    user.session_version += 1
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    sessions_ended.send(user)


def _deactivate(user: User, *, actor: User | None = None, source: str | None = None) -> None:
    user.active = False
    end_all_sessions(user)
    details = {"username": user.username} | ({"source": source} if source else {})
    record_as(actor, "user.deactivated", user, details)


def deactivate_user(user: User, *, actor: User | None = None) -> None:
    """Deactivate an account; open sessions end on their next request (nobody deactivates themselves)."""
    if actor is not None and actor.id == user.id:
        raise SelfLockoutError(str(_l("不能停用自己的账号。")))
    ids = {"user_id": user.id, "actor_id": actor.id if actor else None}
    _deactivate(user)
    db.session.commit()
    log.info("user deactivated", extra=ids)


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; other sessions end."""
    if not user.check_password(current):
        raise AccountError(str(_l("当前密码不正确。")), field="current")
    problem = password_problem(new, user.username)
    if problem:
        raise AccountError(problem, field="new")
    if current == new:
        raise AccountError(str(_l("新密码不能与当前密码相同。")), field="new")
    user.set_password(new)
    user.must_change_password = False
    end_all_sessions(user)
    audit.record("user.password_changed", user, {"username": user.username})
    db.session.commit()


def check_new_password(user: User, new: str) -> None:
    """Raise AccountError (on the password field) when the policy refuses ``new`` for this user."""
    problem = password_problem(new, user.username)
    if problem:
        raise AccountError(problem, field="password")


def set_password(user: User, new: str, *, one_time: bool = False) -> None:
    """Set a password without the current one (administrators, CLI); ``one_time``: chosen for someone else."""
    check_new_password(user, new)
    user.set_password(new)
    user.must_change_password = one_time
    end_all_sessions(user)
    audit.record("user.password_set", user, {"username": user.username, "one_time": one_time})
    db.session.commit()


# --- leavers, bulk actions, people another person may manage -----------------------------------


class NotManageable(NotAllowed, AccountError):
    """The actor may not act on this person (they hold a role the actor could not grant, or it is the actor)."""


def manage_problem(actor: User | None, user: User) -> str | None:
    """Why ``actor`` may not deactivate, reactivate or invite ``user`` (a message), or None when they may.

    The rule of roles: one may act on a person only when one could grant every role the person holds.
    """
    if actor is None:
        return None
    if actor.id == user.id:
        return str(_l("不能对自己的账号执行此操作。"))
    roles = user.roles or {"trainee"}
    if not actor.has_role("admin", "hr") or not roles <= grantable_roles(actor):
        return str(_l("你无权管理 %(name)s 的账号（此人拥有你不能授予的角色）。", name=user.name))
    return None


def deactivate_users(users: list[User], *, actor: User) -> int:
    """Deactivate several people at once (all or nothing), ending their sessions; one audit event each."""
    problems = [p for p in (manage_problem(actor, user) for user in users) if p]
    if problems:
        raise NotManageable("；".join(problems[:5]) + ("…" if len(problems) > 5 else ""))
    changed = [user for user in users if user.active]
    for user in changed:
        _deactivate(user, actor=actor, source="bulk")
    ids = {"user_ids": [u.id for u in changed], "actor_id": actor.id}
    db.session.commit()
    log.info("users deactivated", extra=ids)
    return len(changed)


def reactivate(user: User, *, actor: User | None, source: str | None = None) -> None:
    """Let a deactivated person sign in again (``actor`` must be able to grant their roles); the caller commits."""
    problem = manage_problem(actor, user)
    if problem:
        raise NotManageable(problem)
    if not user.active:
        user.active = True
        details = {"username": user.username} | ({"source": source} if source else {})
        record_as(actor, "user.reactivated", user, details)


def deactivate(user: User, *, actor: User | None, source: str | None = None) -> None:
    """Deactivate a person and end their sessions, keeping all their records; the caller commits."""
    problem = manage_problem(actor, user)
    if problem:
        raise NotManageable(problem)
    if user.active:
        _deactivate(user, actor=actor, source=source)


def create_department(name: str) -> Department:
    """Create a department with a unique name."""
    name = name.strip()
    if db.session.scalar(select(func.count()).select_from(Department).where(Department.name == name)):
        raise AccountError(str(_l("部门 %(name)s 已存在。", name=name)))
    with _taken(_l("部门 %(name)s 已存在。", name=name)):
        dept = Department(name=name)
        db.session.add(dept)
        audit.record("department.created", dept, {"name": name})
        db.session.commit()
    return dept


def rename_department(dept: Department, name: str) -> None:
    """Rename a department."""
    name = name.strip()
    if db.session.scalar(
        select(func.count()).select_from(Department).where(Department.name == name, Department.id != dept.id)
    ):
        raise AccountError(str(_l("部门 %(name)s 已存在。", name=name)))
    audit.record("department.renamed", dept, {"from": dept.name, "to": name})
    dept.name = name
    with _taken(_l("部门 %(name)s 已存在。", name=name)):
        db.session.commit()


def delete_department(dept: Department) -> None:
    """Delete an empty department."""
    if db.session.scalar(select(func.count()).select_from(User).where(User.department_id == dept.id)):
        raise AccountError(str(_l("部门里还有人员，不能删除。")))
    audit.record("department.deleted", dept, {"name": dept.name})
    db.session.delete(dept)
    db.session.commit()


def create_cohort(name: str, description: str | None = None) -> Cohort:
    """Create a cohort with a unique name."""
    name = name.strip()
    if db.session.scalar(select(func.count()).select_from(Cohort).where(Cohort.name == name)):
        raise AccountError(str(_l("班组 %(name)s 已存在。", name=name)))
    with _taken(_l("班组 %(name)s 已存在。", name=name)):
        cohort = Cohort(name=name, description=description or None)
        db.session.add(cohort)
        audit.record("cohort.created", cohort, {"name": name})
        db.session.commit()
    return cohort


def add_member(cohort: Cohort, user: User, role: str, *, commit: bool = True) -> CohortMember:
    """Add a user to a cohort as trainee or instructor (idempotent)."""
    if role not in MEMBER_ROLES:
        raise AccountError(str(_l("未知的班组角色。")))
    if not user.has_role(role):
        raise AccountError(str(_l("%(name)s 没有该角色，请先授予。", name=user.name)))
    existing = db.session.scalar(
        select(CohortMember).where(
            CohortMember.cohort_id == cohort.id, CohortMember.user_id == user.id, CohortMember.role == role
        )
    )
    if existing:
        return existing
    member = CohortMember(cohort_id=cohort.id, user_id=user.id, role=role)
    with _taken(_l("%(name)s 已在该班组中。", name=user.name)):
        db.session.add(member)
        audit.record("cohort.member_added", cohort, {"cohort": cohort.name, "username": user.username, "role": role})
        if commit:
            db.session.commit()
    return member


def remove_member(member: CohortMember) -> None:
    """Remove a membership."""
    audit.record(
        "cohort.member_removed",
        member.cohort,
        {"cohort": member.cohort.name, "username": member.user.username, "role": member.role},
    )
    db.session.delete(member)
    db.session.commit()
