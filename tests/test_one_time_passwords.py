"""One-time passwords: a password someone else chose (admin, HR, import, CLI) lets its owner do nothing but set their own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts import importer, services
from app.accounts.models import User
from app.demo import ensure_demo
from app.extensions import db
from tests import factories

API = "/api/v1"
CHOSEN = "my-own-secret-77"


def flagged(username: str) -> bool:
    """Whether the stored user must change their password."""
    db.session.expire_all()
    return db.session.scalar(select(User.must_change_password).where(User.username == username))


@pytest.fixture
def handed_out(app, client, login_as, make_user):
    """An admin creates 周新 with a password of the admin's choosing on the admin page, then signs out."""
    login_as(make_user("boss", roles=["admin"]))
    data = {"username": "zhou", "name": "周新", "password": "given-by-admin-31", "roles": ["trainee"]}
    assert client.post("/admin/users/new", data=data).status_code == 302
    client.post("/logout")
    factories.assign(user=db.session.scalar(select(User).where(User.username == "zhou")))
    return "given-by-admin-31"


def test_a_first_sign_in_reaches_nothing_but_the_password_change(client, handed_out):
    assert flagged("zhou")
    response = client.post("/login?next=/courses/demo-course", data={"username": "zhou", "password": handed_out})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    gated = [
        ("GET", "/"),
        ("GET", "/dashboard"),
        ("GET", "/courses"),
        ("GET", "/courses/demo-course"),
        ("GET", "/courses/demo-course/first-steps"),
        ("GET", "/quizzes/demo-check"),
        ("GET", "/notifications"),
        ("GET", "/admin/users"),
        ("GET", "/hr/import"),
        ("GET", "/no-such-page"),
        ("POST", "/courses/demo-course/first-steps/complete"),
        ("POST", "/quizzes/demo-check/start"),
        ("POST", "/notifications/read"),
    ]
    for method, url in gated:
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].endswith("/account/password"), (method, url)
    page = client.get("/account/password")
    assert page.status_code == 200 and "只能用这一次" in page.get_data(as_text=True)
    assert re.search(r"<title>[^<]*设置新密码 · ", page.get_data(as_text=True)), re.findall(
        "<title>.*", page.get_data(as_text=True)
    )
    for url in ("/static/css/app.css", "/sw.js", "/manifest.webmanifest", "/offline"):
        assert client.get(url).status_code == 200, url
    # an API token with the same credentials is refused with a clear JSON error
    token = client.post(f"{API}/auth/token", json={"username": "zhou", "password": handed_out})
    assert token.status_code == 401 and token.is_json
    assert "初始密码" in token.get_json()["errors"][0]
    assert flagged("zhou")  # nothing above changed the flag


def test_the_change_applies_the_policy_then_clears_the_flag(client, handed_out):
    client.post("/login", data={"username": "zhou", "password": handed_out})
    weak = client.post("/account/password", data={"current": handed_out, "new": "password1", "confirm": "password1"})
    assert "太常见" in weak.get_data(as_text=True) and flagged("zhou")
    same = client.post("/account/password", data={"current": handed_out, "new": handed_out, "confirm": handed_out})
    assert "不能与当前密码相同" in same.get_data(as_text=True) and flagged("zhou")
    done = client.post("/account/password", data={"current": handed_out, "new": CHOSEN, "confirm": CHOSEN})
    assert done.status_code == 302 and not flagged("zhou")
    assert client.get("/dashboard").status_code == 200
    assert client.get("/courses/demo-course").status_code == 200
    token = client.post(f"{API}/auth/token", json={"username": "zhou", "password": CHOSEN})
    assert token.status_code == 200 and token.get_json()["token"]


def test_sign_out_works_while_flagged_and_the_next_sign_in_is_gated_again(client, handed_out):
    client.post("/login", data={"username": "zhou", "password": handed_out})
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").headers["Location"].startswith("/login")
    client.post("/login", data={"username": "zhou", "password": handed_out})
    assert client.get("/dashboard").headers["Location"].endswith("/account/password")


def test_admin_setting_someone_elses_password_flags_it_but_not_their_own(client, login_as, make_user):
    admin = login_as(make_user("boss", roles=["admin"]))
    target = make_user("wu", roles=["trainee"])
    data = {"username": "wu", "name": "吴", "roles": ["trainee"], "active": "y", "password": "reset-by-admin-52"}
    assert client.post(f"/admin/users/{target.id}", data=data).status_code == 302
    assert flagged("wu")
    own = {"username": "boss", "name": "boss", "roles": ["admin"], "active": "y", "password": "my-admin-pass-64"}
    assert client.post(f"/admin/users/{admin.id}", data=own).status_code == 302
    assert not flagged("boss")
    assert client.get("/admin/users").status_code == 200  # still signed in, not gated


def test_the_import_and_the_cli_flag_what_they_create_and_the_demo_does_not(app, runner, make_user):
    hr = make_user("hr-x", roles=["hr"])
    result = importer.apply("工号,姓名,部门\nN1,新人,客服部\n".encode(), actor=hr)
    assert flagged(result.created[0].username)
    cli = runner.invoke(args=["users", "create", "cli-made", "--role", "trainee"], input="typed-at-cli-88\n")
    assert cli.exit_code == 0, cli.output
    assert flagged("cli-made")
    assert not flagged(make_user("plain").username)  # the test builder is the platform, like the demo
    ensure_demo()
    demo = db.session.scalars(select(User).where(User.username.in_(["admin", "hr", "instructor", "trainee1"]))).all()
    assert len(demo) == 4 and not any(u.must_change_password for u in demo)


def test_demo_passwords_go_straight_into_the_app(app, client):
    ensure_demo()
    response = client.post("/login", data={"username": "trainee1", "password": "learn-pass-2024"})
    assert response.status_code == 302 and not response.headers["Location"].endswith("/account/password")
    assert client.get("/dashboard").status_code == 200


def test_set_password_service_is_one_time_only_when_asked(app, make_user):
    user = make_user("svc")
    services.set_password(user, "chosen-for-you-19", one_time=True)
    assert flagged("svc")
    services.change_password(user, "chosen-for-you-19", "now-mine-for-good-3")
    assert not flagged("svc")
