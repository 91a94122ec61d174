"""Access table for the HR, report, certificate and verification pages: HR only, instructors see their
cohorts' progress only, managers their departments' people, trainees only their own transcript and
certificates, guessed ids reveal nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.managers import set_departments
from app.accounts.services import add_member, get_or_create_cohort
from app.completion.models import Certificate
from app.extensions import db
from tests import factories
from tests.test_completion import finish_course

ROLES = ("anon", "trainee", "instructor", "hr", "manager", "admin")

# url template, method, expected status per role (anon, trainee, instructor, hr, manager, admin)
TABLE = [
    ("/reports", "GET", (302, 403, 200, 200, 200, 403)),
    ("/reports?cohort={cohort}", "GET", (302, 403, 200, 200, 403, 403)),
    ("/reports?cohort={other_cohort}", "GET", (302, 403, 403, 200, 403, 403)),
    ("/reports/export.csv", "GET", (302, 403, 403, 200, 200, 403)),
    ("/reports/export.xlsx", "GET", (302, 403, 403, 200, 200, 403)),
    ("/reports/trainees/{trainee}", "GET", (302, 200, 200, 200, 200, 403)),
    ("/reports/trainees/{outsider}", "GET", (302, 403, 403, 200, 403, 403)),
    ("/reports/trainees/999999", "GET", (302, 404, 404, 404, 404, 404)),
    ("/reports/trainees/{trainee}/courses/{course}/waive", "POST", (302, 403, 403, 302, 403, 403)),
    ("/hr/import", "GET", (302, 403, 403, 200, 403, 403)),
    ("/hr/import", "POST", (302, 403, 403, 200, 403, 403)),
    ("/hr/import/confirm", "POST", (302, 403, 403, 302, 403, 403)),
    ("/hr/import/sample.csv", "GET", (302, 403, 403, 200, 403, 403)),
    ("/hr/assignments", "GET", (302, 403, 403, 200, 403, 403)),
    ("/hr/assignments", "POST", (302, 403, 403, 200, 403, 403)),
    ("/hr/assignments/bulk", "POST", (302, 403, 403, 400, 403, 403)),
    ("/certificates/{certificate}.pdf", "GET", (302, 200, 404, 200, 404, 200)),  # admin: the register
    ("/certificates/{other_certificate}.pdf", "GET", (302, 404, 404, 200, 404, 200)),
    ("/certificates/999999.pdf", "GET", (302, 404, 404, 404, 404, 404)),
    ("/verify", "GET", (200, 200, 200, 200, 200, 200)),
    ("/verify/{code}", "GET", (200, 200, 200, 200, 200, 200)),
    ("/verify/AAAA-BBBB-CCCC-DDDD", "GET", (404, 404, 404, 404, 404, 404)),
    # the manager follows the trainee's department, not the outsider's
    ("/reports?department={department}", "GET", (302, 403, 200, 200, 200, 403)),
    ("/reports?department={other_department}", "GET", (302, 403, 200, 200, 403, 403)),
    ("/reports/trainees/{trainee}/transcript.pdf", "GET", (302, 200, 200, 200, 200, 403)),
    ("/reports/trainees/{outsider}/transcript.pdf", "GET", (302, 403, 403, 200, 403, 403)),
    ("/reports/trainees/{trainee}/courses/{course}/remind", "POST", (302, 403, 403, 302, 302, 403)),
    ("/reports/trainees/{outsider}/courses/{course}/remind", "POST", (302, 403, 403, 302, 403, 403)),
    ("/reports/trainees/999999/courses/{course}/remind", "POST", (302, 403, 403, 404, 404, 403)),
    ("/reports/remind-overdue", "POST", (302, 403, 403, 302, 302, 403)),
]


@pytest.fixture
def world(app, make_user):
    """Users of every role; the trainee and the instructor are in c1, an outsider trainee in c2; both finished."""
    users = {role: make_user(f"{role}-x", roles=[role]) for role in ROLES[1:] if role != "trainee"}
    users["trainee"] = make_user("trainee-x", roles=["trainee"], department="门店")
    outsider = make_user("outsider", roles=["trainee"], department="客服中心")
    set_departments(users["manager"], [users["trainee"].department_id], actor=None)
    cohort = get_or_create_cohort("c1")
    other = get_or_create_cohort("c2")
    add_member(cohort, users["trainee"], "trainee", commit=False)
    add_member(cohort, users["instructor"], "instructor", commit=False)
    add_member(other, outsider, "trainee", commit=False)
    db.session.commit()
    factories.assign(cohort="c1")
    factories.assign(cohort="c2")
    finish_course(app, users["trainee"], users["instructor"])
    finish_course(app, outsider, users["instructor"])
    certs = {c.user_id: c for c in db.session.scalars(select(Certificate))}
    ids = {
        "cohort": cohort.id,
        "other_cohort": other.id,
        "trainee": users["trainee"].id,
        "outsider": outsider.id,
        "course": factories.course().id,
        "certificate": certs[users["trainee"].id].id,
        "other_certificate": certs[outsider.id].id,
        "code": certs[users["trainee"].id].code,
        "department": users["trainee"].department_id,
        "other_department": outsider.department_id,
    }
    return {"users": users, "ids": ids}


@pytest.mark.parametrize(("template", "method", "expected"), TABLE, ids=[f"{m} {t}" for t, m, _ in TABLE])
@pytest.mark.parametrize("role", ROLES)
def test_access(client, world, template, method, expected, role):
    if role != "anon":
        client.post("/login", data={"username": world["users"][role].username, "password": factories.PASSWORD})
    url = template.format(**world["ids"])
    response = client.open(url, method=method)
    assert response.status_code == expected[ROLES.index(role)], f"{role} {method} {url}"


def test_instructor_sees_only_the_trainees_of_cohorts_they_teach(client, world):
    client.post("/login", data={"username": world["users"]["instructor"].username, "password": factories.PASSWORD})
    page = client.get("/reports").get_data(as_text=True)
    assert "trainee-x" in page and "outsider" not in page
    assert "导出 CSV" not in page and "豁免此项" not in page
    transcript = client.get(f"/reports/trainees/{world['ids']['trainee']}").get_data(as_text=True)
    assert "豁免此项" not in transcript


def test_forbidden_pages_reveal_nothing(client, world):
    client.post("/login", data={"username": world["users"]["trainee"].username, "password": factories.PASSWORD})
    page = client.get(f"/reports/trainees/{world['ids']['outsider']}").get_data(as_text=True)
    assert "outsider" not in page


def test_manager_sees_only_the_people_of_their_departments(client, world):
    client.post("/login", data={"username": world["users"]["manager"].username, "password": factories.PASSWORD})
    page = client.get("/reports").get_data(as_text=True)
    assert "trainee-x" in page and "outsider" not in page
    assert "导出 CSV" in page and "豁免此项" not in page
    transcript = client.get(f"/reports/trainees/{world['ids']['outsider']}").get_data(as_text=True)
    assert "outsider" not in transcript
