"""HR's assignment pages (under /hr): assign a course to departments, cohorts and people; change or remove assignments."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import Cohort, Department
from app.core.decorators import role_required
from app.core.forms import keep_errors
from app.core.pagination import RowPagination, id_arg, page_arg, paginate_rows, parse_ids
from app.extensions import db
from app.learning import queries, services
from app.learning.forms import AssignForm, BulkForm
from app.learning.models import Assignment, Course

bp = Blueprint("assignments", __name__, url_prefix="/hr")


def _assign_form() -> AssignForm:
    form = AssignForm()
    courses = db.session.scalars(select(Course).where(Course.archived.is_(False)).order_by(Course.position))
    form.course_id.choices = [(c.id, c.title) for c in courses]
    departments = db.session.scalars(select(Department).order_by(Department.name))
    form.departments.choices = [(d.id, d.name) for d in departments]
    form.cohorts.choices = [(c.id, c.name) for c in db.session.scalars(select(Cohort).order_by(Cohort.name))]
    return form


def _assignments_page(course_id: int | None) -> RowPagination:
    return paginate_rows(queries.assignment_rows(course_id), page_arg(), current_app.config["PER_PAGE"])


def _by_ids(model: type[Department] | type[Cohort], ids: list[int] | None) -> list:
    return list(db.session.scalars(select(model).where(model.id.in_(ids)))) if ids else []


@bp.route("/assignments", methods=["GET", "POST"])
@role_required("hr")
def index():
    """Assign a course to departments, cohorts and people with a due date; list and change assignments."""
    form = _assign_form()
    if form.validate_on_submit():
        course = db.get_or_404(Course, form.course_id.data)
        try:
            people = services.find_people(form.people.data)
            made = services.assign_many(
                course,
                departments=_by_ids(Department, form.departments.data),
                cohorts=_by_ids(Cohort, form.cohorts.data),
                people=people,
                due_date=form.due_date.data,
                by=current_user,
            )
        except services.AssignError as error:
            flash(str(error), "danger")
        else:
            flash(_("已将「%(course)s」分配给 %(n)d 个对象。", course=course.title, n=len(made)), "success")
            return redirect(url_for("assignments.index"))
    course_id = id_arg("course")
    return render_template(
        "hr/assignments.html",
        form=form,
        bulk_form=BulkForm(prefix="bulk"),
        page=_assignments_page(course_id),
        course_id=course_id,
    )


@bp.post("/assignments/bulk")
@role_required("hr")
def bulk():
    """Change the due date of, or remove, the ticked assignments."""
    form = BulkForm(prefix="bulk")
    if not form.validate_on_submit():
        abort(400)
    ids = parse_ids(request.form.getlist("ids"))
    chosen = list(db.session.scalars(select(Assignment).where(Assignment.id.in_(ids)))) if ids else []
    try:
        count = services.change_many(chosen, form.action.data, form.due_date.data)
    except services.AssignError as error:
        # with assignments ticked, what is left to fix is the new due date
        target = form.due_date.id if chosen else ""
        keep_errors([(target, str(form.due_date.label.text) if chosen else "", str(error))])
    else:
        flash(_("已处理 %(n)d 项分配。", n=count), "success")
    return redirect(url_for("assignments.index"))
