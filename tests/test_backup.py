"""Backup and restore of an SQLite database with the CLI, while the app has it open."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import TEST_CONTENT

ROOT = Path(__file__).resolve().parents[1]


def flask(args: list[str], url: str) -> subprocess.CompletedProcess:
    """Run a flask command against a database."""
    env = {"APP_ENV": "development", "DATABASE_URL": url, "CONTENT_DIR": str(TEST_CONTENT), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_backup_and_restore_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    assert flask(["demo"], url).returncode == 0
    engine = create_engine(url)
    reader = engine.connect()  # the database is in use while the backup runs
    assert reader.execute(text("PRAGMA journal_mode")).scalar() == "wal"  # set by the app (app/core/sqlite.py)
    reader.execute(text("SELECT count(*) FROM users")).scalar()
    result = flask(["backup", "create", str(tmp_path / "backup.sqlite")], url)
    assert result.returncode == 0, result.stderr
    reader.close()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM user_roles"))
        conn.execute(text("DELETE FROM cohort_members"))
        conn.execute(text("DELETE FROM users WHERE username LIKE 'trainee%'"))
    engine.dispose()
    refused = flask(["backup", "restore", str(tmp_path / "missing.sqlite"), "--yes"], url)
    assert refused.returncode != 0
    restored = flask(["backup", "restore", str(tmp_path / "backup.sqlite"), "--yes"], url)
    assert restored.returncode == 0, restored.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users WHERE username LIKE 'trainee%'")).scalar() == 5
    engine.dispose()
