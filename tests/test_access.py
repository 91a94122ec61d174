"""Access table: every foundation page × every role → the status it should give."""

from __future__ import annotations

import pytest

from app.accounts.models import Cohort
from app.accounts.services import add_member, get_or_create_cohort
from app.extensions import db
from tests import factories

ROLES = ("anon", "trainee", "instructor", "hr", "manager", "admin")

# url template, method, expected status per role (anon, trainee, instructor, hr, manager, admin)
TABLE = [
    ("/", "GET", (302, 302, 302, 302, 302, 302)),
    ("/login", "GET", (200, 302, 302, 302, 302, 302)),
    ("/healthz", "GET", (200, 200, 200, 200, 200, 200)),
    ("/dashboard", "GET", (302, 200, 200, 200, 200, 200)),
    ("/courses", "GET", (302, 302, 200, 200, 302, 200)),
    ("/courses/demo-course", "GET", (302, 200, 200, 200, 403, 200)),
    ("/courses/demo-course/first-steps", "GET", (302, 200, 200, 200, 403, 200)),
    ("/courses/demo-course/first-steps/complete", "POST", (302, 302, 302, 302, 403, 302)),
    ("/account/password", "GET", (302, 200, 200, 200, 200, 200)),
    ("/teaching/{cohort}", "GET", (302, 403, 200, 200, 403, 200)),
    ("/teaching/{other_cohort}", "GET", (302, 403, 403, 200, 403, 200)),
    ("/admin/users", "GET", (302, 403, 403, 403, 403, 200)),
    ("/admin/users/new", "GET", (302, 403, 403, 403, 403, 200)),
    ("/admin/users/{trainee}", "GET", (302, 403, 403, 403, 403, 200)),
    ("/admin/users/{trainee}/deactivate", "POST", (302, 403, 403, 403, 403, 302)),
    ("/admin/departments", "GET", (302, 403, 403, 403, 403, 200)),
    ("/admin/cohorts", "GET", (302, 403, 403, 403, 403, 200)),
    ("/admin/cohorts/{cohort}", "GET", (302, 403, 403, 403, 403, 200)),
    ("/admin/cohorts/{cohort}/assign", "POST", (302, 403, 403, 403, 403, 302)),
    ("/admin/users/999999", "GET", (302, 403, 403, 403, 403, 404)),
    ("/admin/users/{manager}/departments", "GET", (302, 403, 403, 403, 403, 200)),
    ("/admin/users/{manager}/departments", "POST", (302, 403, 403, 403, 403, 302)),
    ("/admin/users/999999/departments", "GET", (302, 403, 403, 403, 403, 404)),
]


@pytest.fixture
def world(app, make_user):
    """Users of every role; the instructor teaches cohort c1 (assigned the demo course), not c2."""
    users = {role: make_user(f"{role}-x", roles=[role]) for role in ROLES[1:]}
    cohort = get_or_create_cohort("c1")
    other = get_or_create_cohort("c2")
    add_member(cohort, users["trainee"], "trainee", commit=False)
    add_member(cohort, users["instructor"], "instructor", commit=False)
    db.session.commit()
    factories.assign(cohort="c1")
    ids = {"cohort": cohort.id, "other_cohort": other.id, "trainee": users["trainee"].id}
    return {"users": users, "ids": {**ids, "manager": users["manager"].id}}


@pytest.mark.parametrize(("template", "method", "expected"), TABLE, ids=[f"{m} {t}" for t, m, _ in TABLE])
@pytest.mark.parametrize("role", ROLES)
def test_access(client, world, template, method, expected, role):
    if role != "anon":
        client.post("/login", data={"username": world["users"][role].username, "password": factories.PASSWORD})
    url = template.format(**world["ids"])
    response = client.open(url, method=method)
    assert response.status_code == expected[ROLES.index(role)], f"{role} {method} {url}"


def test_get_never_changes_state(client, world):
    """Every GET in the table leaves the database as it was (spot check: cohorts and users)."""
    client.post("/login", data={"username": world["users"]["admin"].username, "password": factories.PASSWORD})
    before = (db.session.query(Cohort).count(), world["users"]["trainee"].active)
    for template, method, _ in TABLE:
        if method == "GET":
            client.get(template.format(**world["ids"]))
    db.session.expire_all()
    assert (db.session.query(Cohort).count(), world["users"]["trainee"].active) == before
