"""Security sweep: headers, cookies, server-side sessions, password policy and throttling."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.accounts import auth, importer, services
from app.accounts.models import Department, LoginFailure, User, UserSession
from app.accounts.passwords import password_problem
from app.api.models import ApiToken
from app.core.security import CSP
from app.core.time import utcnow
from app.extensions import db
from config import ProductionConfig
from tests import factories
from tests.conftest import PASSWORD, TEST_CONTENT, make_config
from tests.test_throttling import rewind

API = "/api/v1"
TEMPLATES = Path(__file__).resolve().parents[1] / "app" / "templates"


def login(client, username, password=PASSWORD, **kwargs):
    """Post the login form."""
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def session_cookie(client) -> str | None:
    """The current value of the session cookie in a test client."""
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def assert_security_headers(response) -> None:
    """The headers every response carries."""
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "microphone=(self)" in response.headers["Permissions-Policy"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


@pytest.fixture
def restore_app_logger():
    """A production app replaces the shared 'app' logger's handlers; put them back afterwards."""
    logger = logging.getLogger("app")
    handlers, level = logger.handlers[:], logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture
def production_app(tmp_path, restore_app_logger) -> Flask:
    """An app under ProductionConfig (its own SQLite file), with one crashing route for the 500 page."""

    class Production(ProductionConfig):
        SECRET_KEY = "a-production-secret-for-tests-only"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'prod.sqlite'}"
        CONTENT_DIR = str(TEST_CONTENT)
        UPLOAD_DIR = str(tmp_path / "uploads")
        WTF_CSRF_ENABLED = False  # these tests look at cookies, not at CSRF (tested in test_accounts)
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    app = create_app(Production)

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    @app.get("/boom-db")
    def boom_db():
        db.session.add_all([Department(name="同名"), Department(name="同名")])
        db.session.flush()  # IntegrityError leaves the session needing a rollback

    with app.app_context():
        db.create_all()
        factories.make_user("prod-user", roles=["trainee"])
        db.session.remove()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


# --- headers -----------------------------------------------------------------------------------


def test_csp_allows_no_inline_script_and_no_framing():
    assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP
    assert "script-src 'self'" in CSP and "style-src 'self'" in CSP
    assert "frame-ancestors 'none'" in CSP and "object-src 'none'" in CSP


def test_templates_have_no_inline_script_style_or_event_handlers():
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag and 'type="application/json"' not in tag:
                problems.append(f"{path.name}: inline script {tag}")
        if re.search(r"\sstyle=", text):
            problems.append(f"{path.name}: style attribute")
        if re.search(r"\son[a-z]+=", text):
            problems.append(f"{path.name}: inline event handler")
        if "<style" in text:
            problems.append(f"{path.name}: <style> element")
    assert not problems, "\n".join(problems)


def test_headers_on_html_pages_json_and_errors(client, login_as):
    login_as("trainee")
    responses = {
        "html": client.get("/dashboard"),
        "json": client.get(f"{API}/openapi.json"),
        "api 401": client.get(f"{API}/me/attempts"),
        "404": client.get("/no-such-page"),
        "api 404": client.get(f"{API}/no-such-thing"),
        "403": client.get("/admin/users"),
        "static": client.get("/static/css/app.css"),
    }
    assert [r.status_code for r in responses.values()] == [200, 200, 401, 404, 404, 403, 200]
    for name, response in responses.items():
        assert_security_headers(response), name
    assert responses["html"].headers["Cache-Control"] == "no-store"
    assert responses["api 401"].is_json and responses["api 404"].is_json


def test_headers_on_server_errors(production_app):
    response = production_app.test_client().get("/boom")
    assert response.status_code == 500
    assert_security_headers(response)
    assert "kaboom" not in response.get_data(as_text=True)  # no traceback leaks out


def test_a_failed_flush_still_gets_the_error_page_with_headers(production_app):
    client = production_app.test_client()
    login(client, "prod-user")  # the error page shows the signed-in user's menu, which needs the database
    response = client.get("/boom-db")
    assert response.status_code == 500
    assert_security_headers(response)
    assert "prod-user" in response.get_data(as_text=True)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# --- cookies and sessions ----------------------------------------------------------------------


def test_production_cookies_are_secure_httponly_and_samesite(production_app):
    client = production_app.test_client()
    response = login(client, "prod-user", base_url="https://localhost")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie.split("; "), cookie
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    assert production_app.config["REMEMBER_COOKIE_HTTPONLY"] is True


def test_json_logs_are_one_valid_json_object_per_line(production_app):
    handler = logging.getLogger("app").handlers[0]
    stream = io.StringIO()
    handler.setStream(stream)
    client = production_app.test_client()
    client.get("/boom")
    with production_app.test_request_context("/dashboard", method="GET"):
        production_app.logger.info("注意：%s", "中文")
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) >= 2
    crash = next(r for r in records if r.get("path") == "/boom")
    assert crash["level"] == "ERROR" and "kaboom" in crash["exception"]
    info = records[-1]
    assert info == {**info, "level": "INFO", "message": "注意：中文", "method": "GET", "path": "/dashboard"}
    assert {"time", "logger"} <= set(info)


def test_healthz_reports_the_database(client, tmp_path):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}
    broken = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_login_renews_the_session_and_an_old_cookie_cannot_be_elevated(app, client, make_user):
    make_user("alice")
    client.post("/locale", data={"locale": "en"})  # an anonymous session cookie exists before login
    before = session_cookie(client)
    assert before
    assert login(client, "alice").status_code == 302
    after = session_cookie(client)
    assert after and after != before
    planted = app.test_client()  # someone holding the pre-login cookie gains nothing
    planted.set_cookie("session", before)
    assert planted.get("/dashboard").status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_each_login_makes_a_new_server_side_session_stored_hashed(app, client, make_user):
    user = make_user("amy")
    login(client, "amy")
    first = session_cookie(client)
    client.post("/logout")
    login(client, "amy")
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(rows) == 1 and rows[0].revoked_at is None  # the revoked one was cleaned up at login
    with client.session_transaction() as session:
        secret = session["sid"]
    assert rows[0].id != secret and len(rows[0].id) == 64
    assert session_cookie(client) != first


def test_logout_ends_the_session_on_the_server(app, client, make_user):
    make_user("bob")
    login(client, "bob")
    stolen = session_cookie(client)
    assert client.get("/dashboard").status_code == 200
    assert client.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(select(UserSession)).revoked_at is not None


def test_logout_leaves_other_sessions_of_the_same_person(app, make_user):
    make_user("bea")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "bea")
    login(phone, "bea")
    laptop.post("/logout")
    assert phone.get("/dashboard").status_code == 200
    assert laptop.get("/dashboard").status_code == 302


def test_password_change_ends_other_sessions_and_api_tokens(app, make_user):
    make_user("carl")
    mine, other = app.test_client(), app.test_client()
    login(mine, "carl")
    login(other, "carl")
    token = other.post(f"{API}/auth/token", json={"username": "carl", "password": PASSWORD}).get_json()["token"]
    old_cookie = session_cookie(mine)
    response = mine.post(
        "/account/password", data={"current": PASSWORD, "new": "fresh-pass-77", "confirm": "fresh-pass-77"}
    )
    assert response.status_code == 302
    assert mine.get("/dashboard").status_code == 200  # this browser gets a new session
    assert session_cookie(mine) != old_cookie
    assert other.get("/dashboard").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/dashboard").status_code == 302
    assert other.get(f"{API}/me/attempts", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_admin_password_reset_and_deactivation_end_every_session(app, make_user):
    user = make_user("dora")
    browser = app.test_client()
    login(browser, "dora")
    services.set_password(user, "reset-by-admin-5")
    assert browser.get("/dashboard").status_code == 302
    login(browser, "dora", "reset-by-admin-5")
    token = browser.post(f"{API}/auth/token", json={"username": "dora", "password": "reset-by-admin-5"}).get_json()
    services.deactivate_user(user)
    assert browser.get("/dashboard").status_code == 302
    assert db.session.scalar(select(ApiToken)).revoked_at is not None
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert browser.get(f"{API}/me/attempts", headers=headers).status_code == 401
    live = select(func.count()).select_from(UserSession).where(UserSession.revoked_at.is_(None))
    assert db.session.scalar(live) == 0


def test_idle_and_old_sessions_end(app, client, make_user):
    make_user("eve")
    login(client, "eve")
    row = db.session.scalar(select(UserSession))
    row.last_seen = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    db.session.commit()
    assert client.get("/dashboard").status_code == 302
    login(client, "eve")
    row = db.session.scalar(select(UserSession))  # the idle one was cleared away at this login
    row.created_at = utcnow() - app.permanent_session_lifetime - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_last_seen_is_refreshed_now_and_then_not_on_every_request(app, client, make_user):
    make_user("fay")
    login(client, "fay")
    row = db.session.scalar(select(UserSession))
    seen = row.last_seen
    client.get("/dashboard")
    db.session.refresh(row)
    assert row.last_seen == seen
    row.last_seen = seen - timedelta(minutes=30)
    db.session.commit()
    client.get("/dashboard")
    db.session.refresh(row)
    assert row.last_seen > seen - timedelta(minutes=1)


def test_a_cookie_without_a_server_session_is_anonymous(app, client, make_user):
    make_user("gus")
    login(client, "gus")
    db.session.execute(UserSession.__table__.delete())
    db.session.commit()
    assert client.get("/dashboard").status_code == 302


# --- password policy on every path that sets a password ----------------------------------------


WEAK = ["short7", "password123", "PASSWORD123", "12345678", "qwertyuiop", "aaaaaaaaaa", "abababab"]


@pytest.mark.parametrize("weak", WEAK)
def test_password_policy_on_the_change_form(client, make_user, weak):
    user = make_user("hal")
    login(client, "hal")
    response = client.post("/account/password", data={"current": PASSWORD, "new": weak, "confirm": weak})
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("weak", WEAK)
def test_password_policy_on_the_admin_forms(client, login_as, make_user, weak):
    login_as("admin")
    target = make_user("ida")
    created = client.post(
        "/admin/users/new", data={"username": "newbie", "name": "x", "password": weak, "roles": ["trainee"]}
    )
    assert created.status_code == 422
    assert db.session.scalar(select(User).where(User.username == "newbie")) is None
    edited = client.post(
        f"/admin/users/{target.id}",
        data={"username": "ida", "name": "ida", "roles": ["trainee"], "active": "y", "password": weak},
    )
    assert edited.status_code == 422
    assert any(word in edited.get_data(as_text=True) for word in ("太常见", "至少需要 8", "太简单"))
    db.session.refresh(target)
    assert target.check_password(PASSWORD)


@pytest.mark.parametrize("weak", WEAK)
def test_password_policy_on_the_command_line(runner, weak):
    result = runner.invoke(args=["users", "create", "cli-user", "--role", "trainee"], input=f"{weak}\n")
    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.username == "cli-user")) is None


def test_password_policy_on_the_staff_import(app, monkeypatch, make_user):
    data = "工号,姓名,部门\nS9001,导入者,客服部\n".encode()
    passwords = [importer.one_time_password() for _ in range(50)]
    assert all(password_problem(p) is None for p in passwords)
    monkeypatch.setattr(importer, "one_time_password", lambda: "password123")
    with pytest.raises(importer.StaffFileError, match="太常见"):
        importer.apply(data, actor=make_user("hr", roles=["hr"]))
    assert db.session.scalar(select(User).where(User.username == "s9001")) is None


# --- throttling cannot be bypassed with case or spaces -----------------------------------------


VARIANTS = ["Jill", " jill", "JILL ", "j ill", "jI\tLl"]


def test_login_throttle_counts_case_and_space_variants_together(client, make_user):
    make_user("jill")
    for variant in VARIANTS:
        login(client, variant, "wrong-pass", environ_base={"REMOTE_ADDR": "10.1.0.1"})
    response = login(client, "jill", environ_base={"REMOTE_ADDR": "10.1.0.1"})
    assert response.status_code == 429


def test_token_throttle_counts_case_and_space_variants_together(client, make_user):
    make_user("kim")
    statuses = [
        client.post(
            f"{API}/auth/token",
            json={"username": variant, "password": "wrong-pass"},
            environ_base={"REMOTE_ADDR": "10.2.0.1"},
        ).status_code
        for variant in ["Kim", " kim", "KIM ", "k im", "kI\tM", "kim"]
    ]
    assert statuses == [401, 401, 401, 401, 401, 429]  # the fifth failure starts the wait
    response = client.post(
        f"{API}/auth/token", json={"username": "kim", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.2.0.1"}
    )
    assert response.status_code == 429
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_forwarded_for_header_is_ignored_without_a_trusted_proxy(app, client, make_user):
    make_user("leo")
    for index in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        login(client, f"ghost{index}", "wrong-pass", headers={"X-Forwarded-For": f"192.0.2.{index}"})
    assert login(client, "leo", headers={"X-Forwarded-For": "192.0.2.200"}).status_code == 429


# --- redirects (found by the wapiti scan: a CR/LF in "next" crashed the language switch) -------


BAD_NEXT = [
    "/\\evil.example",
    "/\\/evil.example",
    "//evil.example",
    "https://evil.example/",
    "/x\r\nSet-Cookie: a=b",
    "/x\nLocation: //evil",
    "/tab\there",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", BAD_NEXT)
def test_language_switch_never_redirects_off_site_or_crashes(client, target):
    response = client.post("/locale", data={"locale": "en", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", BAD_NEXT)
def test_login_never_redirects_off_site_or_crashes(client, make_user, target):
    make_user("nick")
    response = login(client, "nick", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_local_next_targets_still_work(client, make_user):
    make_user("olga")
    assert login(client, "olga", query_string={"next": "/quizzes?x=1"}).headers["Location"] == "/quizzes?x=1"
    assert client.post("/locale", data={"locale": "en", "next": "/dashboard"}).headers["Location"] == "/dashboard"


def test_a_unique_name_race_becomes_a_clear_error(app):
    """Two people saving the same name at once: the loser gets an AccountError, and the session still works."""
    db.session.add(Department(name="呼叫中心"))
    db.session.commit()
    with pytest.raises(services.AccountError, match="已存在"), services._taken("部门 呼叫中心 已存在。"):
        db.session.add(Department(name="呼叫中心"))  # what a concurrent request slips in past the check
        db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Department)) == 1


def test_old_login_failures_are_forgotten(app, client, make_user):
    make_user("max")
    for _ in range(4):
        login(client, "max", "wrong-pass")
    rewind(3600)
    login(client, "max", "wrong-pass")
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1  # the stale rows are gone
    assert login(client, "max").status_code == 302


def test_unknown_usernames_cost_a_password_check_too(app, monkeypatch):
    """No user enumeration by timing: an unknown name runs the same kind of hash check as a wrong password."""
    checks = []
    original = auth.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checks.append(pwhash.split("$", 1)[0])
        return original(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    user, message, _wait = auth.authenticate("nobody-here", "whatever-pass", "10.9.0.1")
    assert user is None and "不正确" in message
    assert checks == [app.config["PASSWORD_HASH_METHOD"]]


def test_an_admin_resetting_their_own_password_stays_signed_in_here_only(app, client, login_as):
    admin = login_as("admin")
    elsewhere = app.test_client()
    login(elsewhere, admin.username)
    response = client.post(
        f"/admin/users/{admin.id}",
        data={
            "username": admin.username,
            "name": admin.name,
            "roles": ["admin"],
            "active": "y",
            "password": "new-admin-pass-8",
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert elsewhere.get("/admin/users").status_code == 302


def test_behind_the_proxy_a_forged_forwarded_for_cannot_dodge_throttling(tmp_path):
    """TRUST_PROXY=1 trusts one hop: nginx appends the real address last, and only that one counts."""
    app = create_app(make_config(TRUST_PROXY=True, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite'}"))
    with app.app_context():
        db.create_all()
        factories.make_user("pia")
        client = app.test_client()
        for index in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
            forged = {"X-Forwarded-For": f"198.51.100.{index}, 203.0.113.7"}  # client's lie, then nginx's truth
            login(client, f"ghost{index}", "wrong-pass", headers=forged)
        blocked = login(client, "pia", headers={"X-Forwarded-For": "198.51.100.99, 203.0.113.7"})
        other_client = login(client, "pia", headers={"X-Forwarded-For": "203.0.113.8"})
        assert (blocked.status_code, other_client.status_code) == (429, 302)
        assert {row.address for row in db.session.scalars(select(LoginFailure))} == {"203.0.113.7"}
        db.session.remove()
        db.drop_all()
