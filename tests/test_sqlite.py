"""SQLite file databases use a write-ahead log: readers go on while a writer holds the database."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.conftest import make_config


def _app(path, **overrides):
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", **overrides))
    with app.app_context():
        db.create_all()
    return app


def _read_while_written(app, path) -> str:
    """Hold the write lock in the app's connection; read from another connection that does not wait."""
    with app.app_context():
        writer = db.engine.raw_connection()
        try:
            writer.execute("BEGIN EXCLUSIVE")
            writer.execute("INSERT INTO departments (name, created_at) VALUES ('门店销售部', CURRENT_TIMESTAMP)")
            reader = sqlite3.connect(path, timeout=0)
            try:
                return str(reader.execute("SELECT count(*) FROM departments").fetchone()[0])
            except sqlite3.OperationalError as error:
                return str(error)
            finally:
                reader.close()
        finally:
            writer.rollback()
            writer.close()
            db.engine.dispose()


def test_file_databases_use_a_write_ahead_log_and_readers_do_not_wait(tmp_path):
    path = tmp_path / "wal.sqlite"
    app = _app(path)
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.remove()
    assert _read_while_written(app, path) == "0"  # the committed state, at once


def test_without_the_setting_a_writer_blocks_readers(tmp_path):
    path = tmp_path / "journal.sqlite"
    app = _app(path, SQLITE_WAL=False)
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "delete"
        db.session.remove()
    assert _read_while_written(app, path) == "database is locked"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_memory_databases_are_left_alone(url):
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "memory"
        db.session.remove()
