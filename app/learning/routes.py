"""Course and module pages (the trainee's home is reports.home); cohort progress for instructors; a cohort's courses for admins.

The admin's cohort page belongs to accounts (its members); learning adds the cohort's courses to it as
a panel (``app.accounts.panels``) and keeps the writes behind it: assign a course, remove an assignment.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from app.accounts.models import STAFF_ROLES, Cohort
from app.accounts.panels import register_cohort_panel
from app.core.decorators import role_required
from app.core.forms import EmptyForm, flash_errors
from app.core.offline import offline_readable
from app.extensions import db
from app.learning import queries, services
from app.learning.forms import CohortAssignForm
from app.learning.models import Assignment, Course, GlossaryTerm, Module

bp = Blueprint("learning", __name__)


def _course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug, Course.archived.is_(False)))
    if course is None:
        abort(404)
    if not queries.can_view_course(current_user, course):
        abort(403)
    return course


@bp.get("/courses")
@login_required
def catalogue():
    """Every course for staff; assigned courses for trainees."""
    if current_user.has_role(*STAFF_ROLES):
        courses = db.session.scalars(select(Course).where(Course.archived.is_(False)).order_by(Course.position)).all()
        return render_template("learning/catalogue.html", courses=courses)
    return redirect(url_for("reports.home"))  # the home page (a read over several rooms) lives in reports


@bp.get("/courses/<slug>")
@login_required
@offline_readable
def course(slug: str):
    """A course: introduction and its modules with status and minutes."""
    course = _course_or_404(slug)
    modules = course.active_modules
    done = queries.completed_module_ids(current_user.id, course.id)
    next_module = next((m for m in modules if m.id not in done), None)
    return render_template("learning/course.html", course=course, modules=modules, done=done, next_module=next_module)


@bp.get("/courses/<slug>/<module_slug>")
@login_required
@offline_readable
def module(slug: str, module_slug: str):
    """A module page: objectives, content, previous/next, mark as complete."""
    course = _course_or_404(slug)
    modules = course.active_modules
    index = next((i for i, m in enumerate(modules) if m.slug == module_slug), None)
    if index is None:
        abort(404)
    current = modules[index]
    done = queries.completed_module_ids(current_user.id, course.id)
    return render_template(
        "learning/module.html",
        course=course,
        module=current,
        modules=modules,
        done=done,
        previous=modules[index - 1] if index > 0 else None,
        following=modules[index + 1] if index + 1 < len(modules) else None,
        form=EmptyForm(),
    )


@bp.get("/glossary")
@login_required
@offline_readable
def glossary():
    """The terms the courses use, one anchor per term (modules link to /glossary#<slug>)."""
    terms = db.session.scalars(select(GlossaryTerm).order_by(GlossaryTerm.position, GlossaryTerm.id)).all()
    return render_template("learning/glossary.html", terms=terms)


@bp.post("/courses/<slug>/<module_slug>/complete")
@login_required
def complete(slug: str, module_slug: str):
    """Mark a module as read, then go to the next one."""
    course = _course_or_404(slug)
    module = db.session.scalar(
        select(Module).where(Module.course_id == course.id, Module.slug == module_slug, Module.archived.is_(False))
    )
    if module is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.mark_complete(current_user, module):
        flash(_("已完成「%(title)s」。", title=module.title), "success")
    modules = course.active_modules
    later = [m for m in modules if m.position > module.position]
    if later:
        return redirect(url_for("learning.module", slug=slug, module_slug=later[0].slug))
    return redirect(url_for("learning.course", slug=slug))


@bp.get("/teaching/<int:cohort_id>")
@role_required("instructor", "admin", "hr")
def cohort_progress(cohort_id: int):
    """Reading progress of a cohort's trainees (instructors: only cohorts they teach)."""
    cohort = db.get_or_404(Cohort, cohort_id)
    if not current_user.has_role("admin", "hr") and not queries.teaches(current_user, cohort.id):
        abort(403)
    trainees, courses, read, totals = queries.cohort_progress(cohort.id)
    return render_template(
        "learning/cohort_progress.html", cohort=cohort, trainees=trainees, courses=courses, read=read, totals=totals
    )


@register_cohort_panel
def cohort_courses(cohort: Cohort) -> Markup:
    """The admin's cohort page's courses: what is assigned to the cohort, and the form to assign one more."""
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.cohort_id == cohort.id).order_by(Assignment.id)
    ).all()
    form = CohortAssignForm()
    form.course_id.choices = _course_choices()
    html = render_template("learning/_cohort_courses.html", cohort=cohort, assignments=assignments, assign_form=form)
    return Markup(html)  # noqa: S704  (an autoescaped template's output: already safe HTML)


def _course_choices() -> list[tuple[int, str]]:
    return [
        (c.id, c.title)
        for c in db.session.scalars(select(Course).where(Course.archived.is_(False)).order_by(Course.position))
    ]


@bp.post("/admin/cohorts/<int:cohort_id>/assign")
@role_required("admin")
def cohort_assign(cohort_id: int):
    """Enrol a cohort in a course."""
    cohort = db.get_or_404(Cohort, cohort_id)
    form = CohortAssignForm()
    form.course_id.choices = _course_choices()
    if form.validate_on_submit():
        course = db.get_or_404(Course, form.course_id.data)
        services.assign_course(course, cohort=cohort, due_date=form.due_date.data, by=current_user)
        flash(_("已将「%(course)s」分配给 %(cohort)s。", course=course.title, cohort=cohort.name), "success")
    else:
        flash_errors(form)
    return redirect(url_for("admin.cohort_detail", cohort_id=cohort.id))


@bp.post("/admin/assignments/<int:assignment_id>/delete")
@role_required("admin")
def assignment_delete(assignment_id: int):
    """Remove a cohort's course assignment."""
    assignment = db.get_or_404(Assignment, assignment_id)
    cohort_id = assignment.cohort_id
    if EmptyForm().validate_on_submit():
        services.unassign(assignment)
        flash(_("已取消分配。"), "success")
    if cohort_id:
        return redirect(url_for("admin.cohort_detail", cohort_id=cohort_id))
    return redirect(url_for("admin.cohorts"))
