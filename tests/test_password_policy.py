"""Password policy: not the username, not a common password (nor one dressed up), not a published demo password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.passwords import COMMON_FILE, common_passwords, password_problem
from app.extensions import db
from config import Config, DevelopmentConfig, ProductionConfig, TestingConfig
from tests.conftest import PASSWORD, TEST_CONTENT

ROOT = Path(__file__).resolve().parents[1]
NAME = "kingfisher"
STRONG = "violet-kettle-bus-73"
# (password, what the message says) for the account NAME
WEAK = [
    (NAME, "不能是用户名"),
    ("KingFisher2024", "不能是用户名"),
    ("2024kingfisher!!", "不能是用户名"),
    ("rehsifgnik", "不能是用户名"),  # backwards
    ("Passw0rd!", "常见密码加上数字或符号"),
    ("sunshine2024", "常见密码加上数字或符号"),
    ("abcdefgh", "太常见"),
    ("QWERTYUIOP", "太常见"),
    ("admin-pass-2024", "公开的演示密码"),
    ("Learn-Pass-2025!", "公开的演示密码"),
]


@pytest.fixture
def production_rules(app, monkeypatch):
    """The policy as production applies it (the demo passwords refused)."""
    monkeypatch.setitem(app.config, "DEMO_PASSWORDS_ALLOWED", False)


def test_the_list_has_over_10000_common_passwords_and_names_its_source():
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "zxcvbn" in header and "MIT" in header and "scripts/common_passwords.py" in header
    entries = [line for line in lines if line and not line.startswith("#")]
    assert len(entries) >= 10_000 and len(set(entries)) == len(entries)
    assert all(entry == entry.lower() for entry in entries)
    assert {"password", "passw0rd", "abcdefgh", "123456", "iloveyou", "woaini1314"} <= common_passwords()
    assert len(common_passwords()) == len(entries)


@pytest.mark.parametrize(("password", "says"), WEAK)
def test_each_rule_has_its_own_message(app, production_rules, password, says):
    assert says in password_problem(password, NAME)


def test_a_strong_password_is_accepted(app, production_rules):
    assert password_problem(STRONG, NAME) is None
    assert password_problem(PASSWORD, NAME) is None
    assert password_problem("Kingfisher-on-the-river-bank", NAME) is None  # a name inside a passphrase is fine


def test_demo_passwords_are_published_so_only_development_and_testing_allow_them(app):
    assert (Config.DEMO_PASSWORDS_ALLOWED, ProductionConfig.DEMO_PASSWORDS_ALLOWED) == (False, False)
    assert DevelopmentConfig.DEMO_PASSWORDS_ALLOWED and TestingConfig.DEMO_PASSWORDS_ALLOWED
    assert password_problem("admin-pass-2024", "admin") is None  # the demo command and fixtures keep working here


@pytest.mark.parametrize(("password", "says"), WEAK)
def test_the_change_form_applies_the_policy(client, make_user, production_rules, password, says):
    user = make_user(NAME)
    client.post("/login", data={"username": NAME, "password": PASSWORD})
    response = client.post("/account/password", data={"current": PASSWORD, "new": password, "confirm": password})
    assert response.status_code == 200 and says in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(("password", "says"), WEAK)
def test_the_admin_forms_apply_the_policy(client, login_as, make_user, production_rules, password, says):
    login_as("admin")
    created = client.post(
        "/admin/users/new", data={"username": NAME, "name": "x", "password": password, "roles": ["trainee"]}
    )
    assert created.status_code == 422 and says in created.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == NAME)) is None
    target = make_user(NAME)
    reset = client.post(
        f"/admin/users/{target.id}",
        data={"username": NAME, "name": NAME, "roles": ["trainee"], "active": "y", "password": password},
    )
    assert reset.status_code == 422 and says in reset.get_data(as_text=True)
    db.session.refresh(target)
    assert target.check_password(PASSWORD)


@pytest.mark.parametrize(("password", "says"), WEAK)
def test_the_command_line_applies_the_policy(runner, production_rules, password, says):
    result = runner.invoke(args=["users", "create", NAME, "--role", "trainee"], input=f"{password}\n")
    assert result.exit_code != 0 and says in result.output
    assert db.session.scalar(select(User).where(User.username == NAME)) is None


def test_a_strong_password_passes_every_path(client, login_as, runner, production_rules):
    assert runner.invoke(args=["users", "create", NAME, "--role", "trainee"], input=f"{STRONG}\n").exit_code == 0
    login_as("admin")
    user = db.session.scalar(select(User).where(User.username == NAME))
    saved = client.post(
        f"/admin/users/{user.id}",
        data={"username": NAME, "name": NAME, "roles": ["trainee"], "active": "y", "password": PASSWORD},
    )
    assert saved.status_code == 302
    client.post("/logout")
    client.post("/login", data={"username": NAME, "password": PASSWORD})
    changed = client.post("/account/password", data={"current": PASSWORD, "new": STRONG, "confirm": STRONG})
    assert changed.status_code == 302


def test_the_messages_are_translated(client, make_user, production_rules):
    make_user(NAME)
    client.post("/locale", data={"locale": "en", "next": "/"})
    client.post("/login", data={"username": NAME, "password": PASSWORD})
    pages = {
        new: client.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new}).get_data(
            as_text=True
        )
        for new in ("KingFisher2024", "Passw0rd!", "abcdefgh", "admin-pass-2024")
    }
    assert "must not be the username" in pages["KingFisher2024"]
    assert "common password with digits or symbols added" in pages["Passw0rd!"]
    assert "too common" in pages["abcdefgh"]
    assert "published demo password" in pages["admin-pass-2024"]


def _flask(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_production_refuses_the_demo_passwords(empty_database):
    """With APP_ENV=production the demo accounts cannot be made, nor any account with a demo password."""
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": "policy-test-secret",
        "DATABASE_URL": empty_database,
        "CONTENT_DIR": str(TEST_CONTENT),
        "DEMO_PASSWORDS_ALLOWED": "",  # the opt-in of a throw-away demo or benchmark server, not given
    }
    demo = _flask(["demo"], env)
    assert demo.returncode == 1 and "公开的演示密码" in demo.stderr and "Traceback" not in demo.stderr
    refused = _flask(["users", "create", "boss", "--role", "admin"], env, "hr-pass-2024\n")
    assert refused.returncode == 1 and "公开的演示密码" in refused.stderr
