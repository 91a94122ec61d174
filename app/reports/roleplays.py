"""HR's read-only list of role-play submissions, filtered by state, course and department."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from app.core.decorators import role_required
from app.core.pagination import paginate
from app.reports import roleplay_queries as queries
from app.reports.routes import bp


@bp.get("/reports/roleplays")
@role_required("hr", "admin")
def roleplays():
    """Every handed-in role-play submission (drafts excluded), newest first, paginated."""
    courses = queries.course_choices()
    departments = queries.department_choices()
    filters = queries.RoleplayFilters.from_args(request.args, {c.id for c in courses}, {d.id for d in departments})
    return render_template(
        "reports/roleplays.html",
        page=paginate(queries.submissions(filters)),
        filters=filters,
        args=filters.as_args(),
        states=queries.STATES,
        courses=courses,
        course_titles={c.id: c.title for c in courses},
        departments=departments,
        is_hr=current_user.has_role("hr"),
    )
