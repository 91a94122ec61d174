"""The home page (``/dashboard``): a trainee's to-do list and courses, then each staff role's shortcuts.

It reads several rooms (learning, completion, roleplay), so it lives in reports, which may read them
all; the feature rooms link to it by its endpoint name, ``reports.home``.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from app.accounts import managers
from app.core.offline import offline_readable
from app.reports import home
from app.reports.routes import bp


@bp.get("/dashboard", endpoint="home")
@login_required
@offline_readable
def home_page():
    """To-dos (overdue first), news and courses for trainees; shortcuts for instructors, managers, HR and admins."""
    trainee = home.trainee_home(current_user) if current_user.has_role("trainee") else None
    taught = home.taught_cohorts(current_user.id) if current_user.has_role("instructor") else []
    managed = managers.departments(current_user.id) if current_user.has_role("manager") else []
    return render_template("reports/home.html", home=trainee, taught=taught, managed=managed)
