"""Shared fixtures: app, client, runner, builders and login_as (flaskr-style)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests import factories

DATA = Path(__file__).parent / "data"
TEST_CONTENT = DATA / "content"
PASSWORD = factories.PASSWORD


def make_config(**overrides) -> dict:
    """Testing configuration as a mapping (DATABASE from TEST_DATABASE_URL or in-memory SQLite)."""
    values = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    values.update({"CONTENT_DIR": str(TEST_CONTENT), **overrides})
    return values


@pytest.fixture(scope="session")
def _schema_app(tmp_path_factory) -> Iterator[Flask]:
    app = create_app(make_config(UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads"))))

    def _fresh_globals() -> None:
        # Tests hold one app context open, which Flask reuses for every request; give each request
        # a fresh ``g`` (cached current_user, locale, CSRF token) as a real server would, before
        # any other hook reads it.
        g.__dict__.clear()

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_globals)

    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()


def _clear_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(_schema_app: Flask) -> Iterator[Flask]:
    """The app with an empty database and the test content loaded."""
    with _schema_app.app_context():
        _clear_tables()
        factories.load_content(TEST_CONTENT)
        yield _schema_app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def empty_database(tmp_path):
    """A URL for an empty database: a fresh SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is one."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base = url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask):
    """Builder: make_user('name', roles=['trainee'], cohort='c1', department='d')."""
    return factories.make_user


@pytest.fixture
def trainee(app: Flask, make_user):
    """A trainee (张小红, 门店销售部) of cohort c1, which is assigned demo-course (modules may define their own)."""
    user = make_user("t1", roles=["trainee"], cohort="c1", department="门店销售部", name="张小红")
    factories.assign(cohort="c1")
    return user


@pytest.fixture
def login_as(client: FlaskClient, app: Flask):
    """Log the test client in as a (new or given) user with a role; return the user."""

    def login(role_or_user="trainee", **kwargs):
        user = (
            role_or_user
            if not isinstance(role_or_user, str)
            else factories.make_user(
                kwargs.pop("username", None) or f"{role_or_user}-{factories.next_id()}", roles=[role_or_user], **kwargs
            )
        )
        client.post("/logout")
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return login


@pytest.fixture
def count_queries(app: Flask):
    """Context manager counting SQL statements: ``with count_queries() as n: ...; n()``."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield lambda: len(statements)
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counter


def pytest_report_header(config) -> str:
    """Show which database the suite runs on."""
    return "database: " + (os.environ.get("TEST_DATABASE_URL") or "sqlite (in memory)")
