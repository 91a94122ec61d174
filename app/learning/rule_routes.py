"""HR's assignment-rule pages (under /hr/rules): create, change, pause, resume and delete rules.

A rule says "everyone in department D and/or position P gets course C, due N days after joining";
``app.learning.rules`` applies it, ``services`` holds every write. HR and admins may use these pages.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import Department
from app.core.decorators import role_required
from app.core.domain import DomainError, http_status
from app.core.forms import EmptyForm
from app.core.pagination import page_arg, paginate_rows
from app.extensions import db
from app.learning import rules, services
from app.learning.forms import DeleteRuleForm, RuleForm
from app.learning.models import AssignmentRule, Course

bp = Blueprint("rules", __name__, url_prefix="/hr/rules")

MANAGERS = ("hr", "admin")


def _rule_form(rule: AssignmentRule | None = None) -> RuleForm:
    form = RuleForm(obj=rule)
    departments = db.session.scalars(select(Department).order_by(Department.name))
    form.department_id.choices = [(0, _("不限部门"))] + [(d.id, d.name) for d in departments]
    courses = db.session.scalars(select(Course).where(Course.archived.is_(False)).order_by(Course.position))
    form.course_id.choices = [(c.id, c.title) for c in courses]
    if rule is not None and rule.course.archived:  # keep the stored choice visible (saving asks for a live one)
        form.course_id.choices.append((rule.course.id, rule.course.title))
    return form


def _fields(form: RuleForm) -> dict:
    return {
        "department_id": form.department_id.data or None,
        "position": form.position.data,
        "course_id": form.course_id.data,
        "due_days": form.due_days.data,
    }


def _refuse(form: RuleForm, error: DomainError) -> int:
    """Show a service's refusal on the form (under the field it is about when there is one); return the status."""
    field = getattr(form, getattr(error, "field", None) or "", None)
    (field.errors if field is not None else form.form_errors).append(str(error))
    return http_status(error)


@bp.route("", methods=["GET", "POST"])
@role_required(*MANAGERS)
def index():
    """List the rules; create one (it assigns its course at once to everyone it matches)."""
    form = _rule_form()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                rule, assigned = services.create_rule(**_fields(form), by=current_user)
            except DomainError as error:
                status = _refuse(form, error)
            else:
                flash(
                    _("已创建规则，并已为 %(n)d 人分配「%(course)s」。", n=assigned, course=rule.course.title),
                    "success",
                )
                return redirect(url_for("rules.index"))
        else:
            status = 422
    page = paginate_rows(rules.rule_rows(), page_arg(), current_app.config["PER_PAGE"])
    return render_template("hr/rules.html", form=form, page=page, action_form=EmptyForm()), status


@bp.route("/<int:rule_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit(rule_id: int):
    """A rule: change it (applied again at once) and see the people it has assigned."""
    rule = db.get_or_404(AssignmentRule, rule_id)
    form = _rule_form(rule)
    if not form.is_submitted():
        form.department_id.data = rule.department_id or 0
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                result = services.update_rule(rule, **_fields(form))
            except DomainError as error:
                db.session.rollback()
                status = _refuse(form, error)
            else:
                flash(
                    _(
                        "已保存规则：新分配 %(added)d 人，取消 %(removed)d 人。",
                        added=len(result.added),
                        removed=result.removed,
                    ),
                    "success",
                )
                return redirect(url_for("rules.edit", rule_id=rule.id))
        else:
            status = 422
    page = paginate_rows(rules.rule_people(rule.id), page_arg(), current_app.config["PER_PAGE"])
    return render_template("hr/rules_edit.html", rule=rule, form=form, page=page, action_form=EmptyForm()), status


@bp.post("/<int:rule_id>/pause")
@role_required(*MANAGERS)
def pause(rule_id: int):
    """Pause a rule (its assignments stay)."""
    rule = db.get_or_404(AssignmentRule, rule_id)
    if EmptyForm().validate_on_submit():
        try:
            services.pause_rule(rule)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("已暂停规则。"), "success")
    return redirect(url_for("rules.edit", rule_id=rule.id))


@bp.post("/<int:rule_id>/resume")
@role_required(*MANAGERS)
def resume(rule_id: int):
    """Resume a rule: applied again at once, due dates counted from today."""
    rule = db.get_or_404(AssignmentRule, rule_id)
    if EmptyForm().validate_on_submit():
        try:
            result = services.resume_rule(rule)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("已恢复规则，并已为 %(n)d 人分配。", n=len(result.added)), "success")
    return redirect(url_for("rules.edit", rule_id=rule.id))


@bp.route("/<int:rule_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete(rule_id: int):
    """Delete a rule, after asking whether its assignments stay (as personal ones) or go."""
    rule = db.get_or_404(AssignmentRule, rule_id)
    form = DeleteRuleForm()
    if form.validate_on_submit():
        count = services.delete_rule(rule, keep=form.keep.data == "keep")
        if form.keep.data == "keep":
            flash(_("已删除规则，%(n)d 项分配保留为个人分配。", n=count), "success")
        else:
            flash(_("已删除规则，并取消了它的 %(n)d 项分配。", n=count), "success")
        return redirect(url_for("rules.index"))
    status = 422 if form.is_submitted() else 200
    assigned = db.session.scalar(rules.assigned_count(rule.id))
    return render_template("hr/rules_delete.html", rule=rule, form=form, assigned=assigned), status
