"""Managers (经理) and the departments they follow: who manages whom, the one write, the admin page.

A manager sees the reports of the people in their departments only and gets their overdue digest.
Only an admin makes someone a manager (``services.grantable_roles``) or sets their departments
(:func:`set_departments`); the page is ``/admin/users/<id>/departments`` (endpoint
``admin.manager_departments``), linked from the user's admin page.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, delete, exists, select
from wtforms import SubmitField

from app.accounts.models import Department, ManagerDepartment, User
from app.accounts.routes import admin_bp
from app.core import audit
from app.core.decorators import role_required
from app.core.domain import InvalidInput, NotAllowed
from app.core.forms import BaseForm, MultiCheckboxField
from app.extensions import db

MAX_DEPARTMENTS = 500  # far more than a company has; a larger list is a forged request


# --- reads --------------------------------------------------------------------------------------


def department_ids(manager_id: int) -> Select:
    """Select the ids of the departments a manager follows."""
    return select(ManagerDepartment.department_id).where(ManagerDepartment.user_id == manager_id)


def departments(manager_id: int) -> list[Department]:
    """The departments a manager follows, by name (one query)."""
    return list(
        db.session.scalars(
            select(Department).where(Department.id.in_(department_ids(manager_id))).order_by(Department.name)
        )
    )


def managed_people(manager_id: int) -> Select:
    """Select the ids of the people in the departments a manager follows (empty unless they hold the role)."""
    return select(User.id).where(User.department_id.in_(department_ids(manager_id)))


def manages(manager: User, person: User) -> bool:
    """Whether ``manager`` holds the manager role and follows ``person``'s department (one query)."""
    if not manager.has_role("manager") or person.department_id is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ManagerDepartment.user_id == manager.id, ManagerDepartment.department_id == person.department_id
                )
            )
        )
    )


def managers_of(department_id: int) -> Select:
    """Select the ids of the active managers following a department."""
    return (
        select(User.id)
        .join(ManagerDepartment, ManagerDepartment.user_id == User.id)
        .where(ManagerDepartment.department_id == department_id, User.active.is_(True))
    )


# --- the write ----------------------------------------------------------------------------------


def set_departments(manager: User, wanted: list[int] | set[int], *, actor: User | None) -> tuple[list[str], list[str]]:
    """Replace the departments ``manager`` follows; only an admin may (``actor`` None: the platform).

    Returns the names added and removed; the change is audited with the actor. Raises NotAllowed for
    anyone but an admin, InvalidInput for a person without the manager role or an unknown department.
    """
    if actor is not None and not actor.has_role("admin"):
        raise NotAllowed(_l("只有管理员可以设置经理负责的部门。"))
    if not manager.has_role("manager"):
        raise InvalidInput(_l("%(name)s 不是经理，请先在账号页授予经理角色。", name=manager.name))
    ids = set(wanted)
    if len(ids) > MAX_DEPARTMENTS:
        raise InvalidInput(_l("选择的部门太多。"))
    found = {d.id: d.name for d in db.session.scalars(select(Department).where(Department.id.in_(ids)))} if ids else {}
    if set(found) != ids:
        raise InvalidInput(_l("所选部门不存在，请刷新页面后重试。"))
    before = {d.id: d.name for d in departments(manager.id)}
    added, removed = sorted(ids - set(before)), sorted(set(before) - ids)
    if removed:
        db.session.execute(
            delete(ManagerDepartment).where(
                ManagerDepartment.user_id == manager.id, ManagerDepartment.department_id.in_(removed)
            )
        )
    db.session.add_all(ManagerDepartment(user_id=manager.id, department_id=i) for i in added)
    names = sorted(found[i] for i in added), sorted(before[i] for i in removed)
    if added or removed:
        audit.record(
            "manager.departments_set",
            manager,
            {
                "username": manager.username,
                "added": names[0],
                "removed": names[1],
                "departments": sorted(found.values()),
            },
        )
    db.session.commit()
    return names


# --- the admin page -----------------------------------------------------------------------------


class ManagerDepartmentsForm(BaseForm):
    """The departments a manager follows."""

    departments = MultiCheckboxField(_l("负责的部门"), coerce=int)
    submit = SubmitField(_l("保存"))


@admin_bp.route("/users/<int:user_id>/departments", methods=["GET", "POST"])
@role_required("admin")
def manager_departments(user_id: int):
    """Choose the departments a manager follows (admin only)."""
    manager = db.get_or_404(User, user_id)
    form = ManagerDepartmentsForm()
    form.departments.choices = [
        (d.id, d.name) for d in db.session.scalars(select(Department).order_by(Department.name))
    ]
    status = 200
    if form.validate_on_submit():
        try:
            added, removed = set_departments(manager, form.departments.data or [], actor=current_user)
        except (InvalidInput, NotAllowed) as error:
            db.session.rollback()
            form.departments.errors = [*form.departments.errors, str(error)]
        else:
            if added or removed:
                flash(_("已保存 %(name)s 负责的部门。", name=manager.name), "success")
            else:
                flash(_("负责的部门没有变化。"), "info")
            return redirect(url_for("admin.manager_departments", user_id=manager.id))
    elif not form.is_submitted():
        form.departments.data = [d.id for d in departments(manager.id)]
    if any(f.errors for f in form):
        status = 422
    return render_template("admin/manager_departments.html", form=form, user=manager), status
